{#- a table: read by the LSH self-join and the similarities, by landing rank (as a view, the
    similarities took 37 s instead of 25 s at 1M keys, and 49 s instead of 15 s in a rebuild) -#}
{{ config(materialized='table') }}

{#- One row per distinct text key (keyed by its representative item): its MinHash signature,
    the minimum of each of K seeded hashes over its shingles, the hash of each of the b
    bands of K / b consecutive minhashes (the LSH buckets), and its shingle set (the distinct
    shingle hashes, sorted) that candidate pairs are verified with; read from the signature
    cache (int_text_key_signatures). -#}
with

representatives as (

    select
        item_id,
        landing_rank,
        text_key_hash
    from {{ ref('int_item_text_keys') }}
    where is_representative

),

signatures as (

    {#- the cache's post-hook left only rows of the current signature settings -#}
    select * from {{ ref('int_text_key_signatures') }}

),

final as (

    select
        representatives.item_id,
        representatives.landing_rank,
        signatures.text_key_hash,
        signatures.n_shingles,
        signatures.shingle_set,
        signatures.minhashes,
        signatures.band_hashes
    from representatives
    inner join signatures
        on representatives.text_key_hash = signatures.text_key_hash

)

select * from final
