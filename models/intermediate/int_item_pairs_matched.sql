{{ config(materialized='table') }}  {#- a table: the LSH self-join runs once per build; the mart and the clusters model both read it -#}

{#- One row per duplicate pair (item_id_a < item_id_b), linking rather than listing every pair:
    exact duplicates link each item to its text key's representative (not all pairs of a
    large group); near duplicates link representatives of different text keys whose
    Jaccard similarity of shingle sets reaches near_duplicate_threshold. Candidates come
    from LSH banding (int_item_candidate_pairs). A candidate whose estimated similarity
    (the share of its minhashes with equal lowest bytes) is at least the threshold less
    near_duplicate_candidate_margin is verified with its exact similarity, so the estimate's
    noise admits no pair; it misses a pair exactly at the threshold about once in 15
    (120 minhashes, margin 0.05), one well above it almost never. -#}
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

{%- set n_words = (settings.permutations + 6) // 7 %}

signatures as (

    {#- the lowest byte of each minhash, seven to a word: the join carries 8 bytes per 7 minhashes, not 56 -#}
    select
        landing_rank,
        {%- for word in range(n_words) %}
            {{ minhash_byte_word('minhashes', word, settings.permutations) }} as minhash_bytes_{{ word }},
        {%- endfor %}
        item_id
    from minhashes

),

candidate_pairs as (

    select * from {{ ref('int_item_candidate_pairs') }}

),

compared_signatures as (

    select
        {%- for word in range(n_words) %}
            xor(first_text.minhash_bytes_{{ word }}, second_text.minhash_bytes_{{ word }}) as differing_bytes_{{ word }},
        {%- endfor %}
        first_text.item_id as first_item_id,
        second_text.item_id as second_item_id,
        candidate_pairs.landing_rank_a,
        candidate_pairs.landing_rank_b
    from candidate_pairs
    inner join signatures as first_text
        on candidate_pairs.landing_rank_a = first_text.landing_rank
    inner join signatures as second_text
        on candidate_pairs.landing_rank_b = second_text.landing_rank

),

estimated as (

    {#- b-bit MinHash (b = 8): the share of minhashes whose lowest bytes are equal is never
        below the share of equal minhashes (it is that share plus 1/256 of the rest, bytes
        equal by chance), so it keeps every candidate the full comparison keeps -#}
    select
        first_item_id,
        second_item_id,
        landing_rank_a,
        landing_rank_b,
        1 - (
            {%- for word in range(n_words) %}
                {{ nonzero_bytes('differing_bytes_' ~ word) }}{{ ' +' if not loop.last }}
            {%- endfor %}
        ) / {{ settings.permutations }} as estimated_similarity
    from compared_signatures

),

verified as (

    {#- the shingle sets join only the candidates the estimate keeps: most candidates are not -#}
    select
        estimated.first_item_id,
        estimated.second_item_id,
        array_length(list_intersect(first_text.shingle_set, second_text.shingle_set)) as n_shared,
        array_length(first_text.shingle_set) + array_length(second_text.shingle_set) as n_both
    from estimated
    inner join minhashes as first_text
        on estimated.landing_rank_a = first_text.landing_rank
    inner join minhashes as second_text
        on estimated.landing_rank_b = second_text.landing_rank
    where estimated.estimated_similarity >= {{ settings.threshold - settings.candidate_margin }}

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
