{{ config(
    materialized=cache_materialization(),
    unique_key='text_key_hash',
    incremental_strategy='delete+insert',
    post_hook="{{ cache_purge('signature_fingerprint', signature_fingerprint(),
        'text_key_hash not in (select text_key_hash from ' ~ ref('int_item_text_keys') ~ ' where is_representative)') }}",
) }}

{#- A cache of MinHash signatures, one row per distinct text key (by its md5): the signature
    depends on the key's text alone, so a build shingles and hashes only the keys it has not
    signed before (with the same settings), and the rest are read back. -#}
{%- set settings = minhash_settings() -%}
{%- set fingerprint = signature_fingerprint() -%}

with

representatives as (

    select
        item_id,
        text_key_hash
    from {{ ref('int_item_text_keys') }}
    where is_representative

),

unsigned as (

    select * from representatives
    {% if is_incremental() -%}
    where text_key_hash not in (
        select text_key_hash from {{ this }}
        where signature_fingerprint = '{{ fingerprint }}'
    )
    {%- endif %}

),

shingles as (

    {#- On a first build every representative is unsigned, and the view yields representatives
        only: no join. A join of the shingle stream with the keys has equal row estimates on
        both sides (DuckDB does not scale an estimate through unnest); when the hash table is
        built on the shingles, the minhash projection and the aggregate run above the join,
        fed by the keys' scan, and one core is left idle (95 s against 49 s at 1M keys).
        Later builds join the unsigned keys: filtered by the cache, they are the side the
        planner estimates smaller and builds on. -#}
    select item_shingles.*
    from {{ ref('int_item_shingles') }} as item_shingles
    {% if is_incremental() -%}
    inner join unsigned
        on item_shingles.item_id = unsigned.item_id
    {%- endif %}

),

distinct_shingles as (

    {#- each distinct shingle is hashed once, and the hashes joined back: texts share most
        of their shingles, and an md5 costs more than a join (the 1M benchmark's 51M
        shingles are 31k distinct ones: 4.7 s less; real messages are more varied, yet the
        5,574 of the SMS Spam Collection hold 92k distinct in 426k, a ratio that falls as
        texts are added) -#}
    select
        shingle,
        {{ shingle_hash('shingle') }} as shingle_hash
    from (select distinct shingle from shingles) as shingle_values

),

shingle_hashes as (

    select
        shingles.item_id,
        distinct_shingles.shingle_hash
    from shingles
    inner join distinct_shingles
        on shingles.shingle = distinct_shingles.shingle

),

minimums as (

    select
        item_id,
        {% for permutation in range(1, settings.permutations + 1) %}
            min({{ minhash_hash('shingle_hash', permutation) }}) as minhash_{{ permutation }},
        {% endfor %}
        count(*) as n_shingles,
        list_sort(list_distinct(list(shingle_hash))) as shingle_set
    from shingle_hashes
    group by item_id

),

final as (

    select
        unsigned.text_key_hash,
        '{{ fingerprint }}' as signature_fingerprint,
        minimums.n_shingles,
        minimums.shingle_set,
        [
            {%- for permutation in range(1, settings.permutations + 1) -%}
                minimums.minhash_{{ permutation }}{{ ', ' if not loop.last }}
            {%- endfor -%}
        ] as minhashes,
        [
            {%- for band in range(settings.bands) -%}
                {%- set first = band * settings.rows_per_band + 1 -%}
                {%- set columns = [] -%}
                {%- for permutation in range(first, first + settings.rows_per_band) -%}
                    {%- do columns.append('minimums.minhash_' ~ permutation) -%}
                {%- endfor -%}
                {{ minhash_band_hash(columns, band) }}{{ ', ' if not loop.last }}
            {%- endfor -%}
        ] as band_hashes
    from minimums
    inner join unsigned
        on minimums.item_id = unsigned.item_id

)

select * from final
