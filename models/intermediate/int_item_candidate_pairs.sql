{#- a table: the pair model joins signatures to it, and DuckDB sizes that join from the table's real row count -#}
{{ config(materialized='table') }}

{#- One row per candidate pair of text keys (by the landing ranks of their representatives,
    landing_rank_a < landing_rank_b): keys sharing an LSH band bucket, where each key is
    compared with its bucket's first key and its minhash_bucket_window predecessors (by
    landing rank), which bounds the work of very large near-duplicate groups. -#}
{%- set settings = minhash_settings() -%}

with

minhashes as (

    select * from {{ ref('int_item_minhashes') }}

),

band_buckets as (

    select
        minhashes.landing_rank,
        bands.band,
        bands.bucket
    from minhashes,
        unnest(minhashes.band_hashes) with ordinality as bands (bucket, band)

),

shared_buckets as (

    select
        band,
        bucket
    from band_buckets
    group by band, bucket
    having count(*) > 1

),

indexed_members as (

    {#- numbered by a window, not by an ordered list() per bucket: DuckDB spills windows and
        hash aggregates to disk, but not ordered aggregates (which ran out of memory at 1M) -#}
    select
        band_buckets.band,
        band_buckets.bucket,
        band_buckets.landing_rank,
        row_number() over (
            partition by band_buckets.band, band_buckets.bucket order by band_buckets.landing_rank
        ) as member_index
    from band_buckets
    inner join shared_buckets
        on
            band_buckets.band = shared_buckets.band
            and band_buckets.bucket = shared_buckets.bucket

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

final as (

    select
        landing_rank_a,
        landing_rank_b
    from candidate_pairs

)

select * from final
