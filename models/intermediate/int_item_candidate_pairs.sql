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

final as (

    select
        landing_rank_a,
        landing_rank_b
    from candidate_pairs

)

select * from final
