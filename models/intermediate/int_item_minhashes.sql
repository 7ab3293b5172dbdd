{{ config(materialized='table') }}  {#- a table: signatures are hashed once per build and read twice by the LSH self-join -#}

{#- One row per distinct text key (keyed by its representative item): its MinHash signature,
    the minimum of each of K seeded hashes over its shingles, and the hash of each of the b
    bands of K / b consecutive minhashes (the LSH buckets), and its shingle set (the distinct
    shingle hashes, sorted) that candidate pairs are verified with. Repeated shingles do not
    change a minimum, so shingles are not deduplicated before hashing. -#}
{%- set settings = minhash_settings() -%}

with

shingles as (

    select * from {{ ref('int_item_shingles') }}

),

shingle_hashes as (

    select
        item_id,
        landing_rank,
        {{ shingle_hash('shingle') }} as shingle_hash
    from shingles

),

minimums as (

    select
        item_id,
        landing_rank,
        {% for permutation in range(1, settings.permutations + 1) %}
            min({{ minhash_hash('shingle_hash', permutation) }}) as minhash_{{ permutation }},
        {% endfor %}
        count(*) as n_shingles,
        list_sort(list_distinct(list(shingle_hash))) as shingle_set
    from shingle_hashes
    group by item_id, landing_rank

),

final as (

    select
        item_id,
        landing_rank,
        n_shingles,
        shingle_set,
        [
            {%- for permutation in range(1, settings.permutations + 1) -%}
                minhash_{{ permutation }}{{ ', ' if not loop.last }}
            {%- endfor -%}
        ] as minhashes,
        [
            {%- for band in range(settings.bands) -%}
                {%- set first = band * settings.rows_per_band + 1 -%}
                {%- set columns = [] -%}
                {%- for permutation in range(first, first + settings.rows_per_band) -%}
                    {%- do columns.append('minhash_' ~ permutation) -%}
                {%- endfor -%}
                {{ minhash_band_hash(columns, band) }}{{ ', ' if not loop.last }}
            {%- endfor -%}
        ] as band_hashes
    from minimums

)

select * from final
