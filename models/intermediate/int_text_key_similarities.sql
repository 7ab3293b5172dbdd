{{ config(
    materialized=cache_materialization(),
    unique_key=['text_key_hash_a', 'text_key_hash_b'],
    incremental_strategy='delete+insert',
    post_hook="{{ cache_purge('similarity_fingerprint', similarity_fingerprint(),
        'text_key_hash_a not in (select text_key_hash from ' ~ ref('int_item_minhashes') ~ ')'
        ~ ' or text_key_hash_b not in (select text_key_hash from ' ~ ref('int_item_minhashes') ~ ')') }}",
) }}

{#- A cache of verified similarities, one row per pair of text keys (by their md5s,
    text_key_hash_a < text_key_hash_b) that came out of LSH banding as candidates and whose
    MinHash estimate (the share of minhashes with equal lowest bytes: 8-bit b-bit MinHash)
    is at least near_duplicate_threshold less near_duplicate_candidate_margin: their exact
    Jaccard similarity of shingle sets. Both depend on the two texts alone, so a build
    verifies only the pairs it has not verified before (with the same signature settings
    and estimate cutoff); the estimate's noise admits no pair. The estimate is used once,
    in a filter: Spark inlines CTEs, and a second use of its long expression ran Spark's
    analyser out of memory. -#}
{%- set settings = minhash_settings() -%}
{%- set fingerprint = similarity_fingerprint() -%}
{%- set n_words = (settings.permutations + 6) // 7 %}

with

minhashes as (

    select * from {{ ref('int_item_minhashes') }}

),

signatures as (

    {#- the lowest byte of each minhash, seven to a word: the join carries 8 bytes per 7 minhashes, not 56 -#}
    select
        {%- for word in range(n_words) %}
            {{ minhash_byte_word('minhashes', word, settings.permutations) }} as minhash_bytes_{{ word }},
        {%- endfor %}
        landing_rank
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
        landing_rank_a,
        landing_rank_b,
        1 - (
            {%- for word in range(n_words) %}
                {{ nonzero_bytes('differing_bytes_' ~ word) }}{{ ' +' if not loop.last }}
            {%- endfor %}
        ) / {{ settings.permutations }} as estimated_similarity
    from compared_signatures

),

kept as (

    {#- landing ranks (integers) up to here: only the kept candidates are keyed by their texts -#}
    select
        estimated.landing_rank_a,
        estimated.landing_rank_b,
        least(first_text.text_key_hash, second_text.text_key_hash) as text_key_hash_a,
        greatest(first_text.text_key_hash, second_text.text_key_hash) as text_key_hash_b
    from estimated
    inner join minhashes as first_text
        on estimated.landing_rank_a = first_text.landing_rank
    inner join minhashes as second_text
        on estimated.landing_rank_b = second_text.landing_rank
    where estimated.estimated_similarity >= {{ settings.threshold - settings.candidate_margin }}

),

unverified as (

    select * from kept
    {% if is_incremental() -%}
    where not exists (
        select 1 from {{ this }} as cached
        where
            cached.text_key_hash_a = kept.text_key_hash_a
            and cached.text_key_hash_b = kept.text_key_hash_b
            and cached.similarity_fingerprint = '{{ fingerprint }}'
    )
    {%- endif %}

),

verified as (

    {#- the shingle sets join only the candidates the estimate keeps: most candidates are not -#}
    select
        unverified.text_key_hash_a,
        unverified.text_key_hash_b,
        {{ shared_elements('first_text.shingle_set', 'second_text.shingle_set') }} as n_shared,
        array_length(first_text.shingle_set) + array_length(second_text.shingle_set) as n_both
    from unverified
    inner join minhashes as first_text
        on unverified.landing_rank_a = first_text.landing_rank
    inner join minhashes as second_text
        on unverified.landing_rank_b = second_text.landing_rank

),

final as (

    select
        text_key_hash_a,
        text_key_hash_b,
        '{{ fingerprint }}' as similarity_fingerprint,
        n_shared,
        cast(n_shared as double) / (n_both - n_shared) as similarity
    from verified

)

select * from final
