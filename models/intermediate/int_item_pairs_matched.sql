{{ config(materialized='table') }}  {#- a table: the LSH self-join runs once per build; the mart and the clusters model both read it -#}

{#- One row per duplicate pair (item_id_a < item_id_b), linking rather than listing every pair:
    exact duplicates link each item to its text key's representative (not all pairs of a
    large group); near duplicates link representatives of different text keys whose
    Jaccard similarity of shingle sets reaches near_duplicate_threshold. Candidates come
    from LSH banding (int_item_candidate_pairs). A candidate whose estimated similarity
    (the share of its minhashes with equal lowest bytes) is at least the threshold less
    near_duplicate_candidate_margin is verified with its exact similarity (read from the
    cache int_text_key_similarities), so the estimate's noise admits no pair; it misses a
    pair exactly at the threshold about once in 15 (120 minhashes, margin 0.05), one well
    above it almost never. -#}
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

candidate_pairs as (

    select * from {{ ref('int_item_candidate_pairs') }}

),

similarities as (

    {#- the cache's post-hook left only rows of the current signature settings and cutoff -#}
    select * from {{ ref('int_text_key_similarities') }}

),

near_keys as (

    {#- pairs of text keys the estimate kept whose similarity reaches the threshold -#}
    select
        text_key_hash_a,
        text_key_hash_b,
        similarity
    from similarities
    where similarity >= {{ settings.threshold }}

),

ranked_keys as (

    select
        first_text.item_id as first_item_id,
        second_text.item_id as second_item_id,
        near_keys.similarity,
        least(first_text.landing_rank, second_text.landing_rank) as landing_rank_a,
        greatest(first_text.landing_rank, second_text.landing_rank) as landing_rank_b
    from near_keys
    inner join minhashes as first_text
        on near_keys.text_key_hash_a = first_text.text_key_hash
    inner join minhashes as second_text
        on near_keys.text_key_hash_b = second_text.text_key_hash

),

near_pairs as (

    {#- only this build's candidates: the cache may know pairs that LSH no longer proposes -#}
    select
        least(ranked_keys.first_item_id, ranked_keys.second_item_id) as item_id_a,
        greatest(ranked_keys.first_item_id, ranked_keys.second_item_id) as item_id_b,
        ranked_keys.similarity,
        'near' as kind
    from ranked_keys
    inner join candidate_pairs
        on
            ranked_keys.landing_rank_a = candidate_pairs.landing_rank_a
            and ranked_keys.landing_rank_b = candidate_pairs.landing_rank_b

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
