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

    {#- the cache's post-hook left only rows of the current signature settings -#}
    select * from {{ ref('int_text_key_similarities') }}

),

candidate_keys as (

    select
        first_text.item_id as first_item_id,
        second_text.item_id as second_item_id,
        least(first_text.text_key_hash, second_text.text_key_hash) as text_key_hash_a,
        greatest(first_text.text_key_hash, second_text.text_key_hash) as text_key_hash_b
    from candidate_pairs
    inner join minhashes as first_text
        on candidate_pairs.landing_rank_a = first_text.landing_rank
    inner join minhashes as second_text
        on candidate_pairs.landing_rank_b = second_text.landing_rank

),

near_pairs as (

    select
        least(candidate_keys.first_item_id, candidate_keys.second_item_id) as item_id_a,
        greatest(candidate_keys.first_item_id, candidate_keys.second_item_id) as item_id_b,
        similarities.similarity,
        'near' as kind
    from candidate_keys
    inner join similarities
        on
            candidate_keys.text_key_hash_a = similarities.text_key_hash_a
            and candidate_keys.text_key_hash_b = similarities.text_key_hash_b
    where
        similarities.estimated_similarity >= {{ settings.threshold - settings.candidate_margin }}
        and similarities.similarity >= {{ settings.threshold }}

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
