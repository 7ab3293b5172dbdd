{{ config(materialized='table') }}  {#- a table: the LSH self-join runs once per build; the mart and the clusters model both read it -#}

{#- One row per duplicate pair (item_id_a < item_id_b), linking rather than listing every pair:
    exact duplicates link each item to its text key's representative (not all pairs of a
    large group); near duplicates link representatives of different text keys whose
    Jaccard similarity of shingle sets reaches near_duplicate_threshold. Candidates are
    texts sharing an LSH band bucket; within a bucket each text is compared with the
    bucket's first text and its minhash_bucket_window predecessors (by landing rank), which
    bounds the work of very large near-duplicate groups. A candidate whose estimated
    similarity (share of equal minhashes) is at least the threshold less
    near_duplicate_candidate_margin is verified with its exact similarity, so the estimate's
    noise neither admits nor loses a pair. -#}
{%- set settings = minhash_settings() -%}

with

text_keys as (

    select * from {{ ref('int_item_text_keys') }}

),

minhashes as (

    select * from {{ ref('int_item_minhashes') }}

),

exact_pairs as (

    select
        least(item_id, representative_item_id) as item_id_a,
        greatest(item_id, representative_item_id) as item_id_b,
        cast(1 as double) as similarity,
        'exact' as kind
    from text_keys
    where representative_item_id is not null and not is_representative

),

band_buckets as (

    select
        landing_rank,
        generate_subscripts(band_hashes, 1) as band,
        unnest(band_hashes) as bucket
    from minhashes

),

bucket_members as (

    select
        band,
        bucket,
        list(landing_rank order by landing_rank) as landing_ranks
    from band_buckets
    group by band, bucket
    having count(*) > 1

),

indexed_members as (

    select
        band,
        bucket,
        unnest(landing_ranks) as landing_rank,
        generate_subscripts(landing_ranks, 1) as member_index
    from bucket_members

),

compared_members as (

    select
        band,
        bucket,
        landing_rank,
        unnest(list_distinct(list_prepend(
            1, range(greatest(member_index - {{ settings.bucket_window }}, 1), member_index)
        ))) as earlier_member_index
    from indexed_members
    where member_index > 1

),

candidate_pairs as (

    select distinct
        earlier.landing_rank as landing_rank_a,
        compared_members.landing_rank as landing_rank_b
    from compared_members
    inner join indexed_members as earlier
        on
            compared_members.band = earlier.band
            and compared_members.bucket = earlier.bucket
            and compared_members.earlier_member_index = earlier.member_index

),

compared_signatures as (

    select
        first_text.item_id as first_item_id,
        second_text.item_id as second_item_id,
        first_text.minhashes as first_minhashes,
        second_text.minhashes as second_minhashes,
        first_text.shingle_set as first_shingle_set,
        second_text.shingle_set as second_shingle_set
    from candidate_pairs
    inner join minhashes as first_text
        on candidate_pairs.landing_rank_a = first_text.landing_rank
    inner join minhashes as second_text
        on candidate_pairs.landing_rank_b = second_text.landing_rank

),

estimated as (

    select
        first_item_id,
        second_item_id,
        first_shingle_set,
        second_shingle_set,
        list_sum(list_transform(
            range(1, {{ settings.permutations + 1 }}),
            lambda position: case when first_minhashes[position] = second_minhashes[position] then 1 else 0 end
        )) / {{ settings.permutations }} as estimated_similarity
    from compared_signatures

),

verified as (

    select
        first_item_id,
        second_item_id,
        len(list_intersect(first_shingle_set, second_shingle_set)) as n_shared,
        len(first_shingle_set) + len(second_shingle_set) as n_both
    from estimated
    where estimated_similarity >= {{ settings.threshold - settings.candidate_margin }}

),

near_pairs as (

    select
        least(first_item_id, second_item_id) as item_id_a,
        greatest(first_item_id, second_item_id) as item_id_b,
        cast(n_shared as double) / (n_both - n_shared) as similarity,
        'near' as kind
    from verified
    where cast(n_shared as double) / (n_both - n_shared) >= {{ settings.threshold }}

),

pairs as (

    select * from exact_pairs
    union all
    select * from near_pairs

),

keyed_pairs as (

    select
        *,
        md5(item_id_a || chr(31) || item_id_b) as pair_id
    from pairs

),

final as (

    select
        pair_id,
        item_id_a,
        item_id_b,
        similarity,
        kind
    from keyed_pairs

)

select * from final
