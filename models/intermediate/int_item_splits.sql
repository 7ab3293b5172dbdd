{#- One row per retained item with its split. A whole duplicate cluster shares one split,
    drawn from a seeded hash of the cluster's anchor: its first-landed member. New items
    that join a cluster take the cluster's split; when a new item bridges two clusters,
    the merged cluster keeps the split of its oldest member (the other members move, and
    fct_split_assignments records the move). Hashing ignores the label, so each label is
    split by the same ratios up to sampling noise. -#}
{%- set ratios = var('split_ratios') -%}
{%- set train = ratios['train'] / (ratios['train'] + ratios['validation'] + ratios['test']) -%}
{%- set validation = ratios['validation'] / (ratios['train'] + ratios['validation'] + ratios['test']) -%}

with

clusters as (

    select * from {{ ref('int_duplicate_clusters') }}

),

draws as (

    select
        item_id,
        cluster_id,
        {{ hash_fraction('cluster_id', var('split_seed')) }} as split_draw
    from clusters

),

final as (

    select
        item_id,
        cluster_id,
        split_draw,
        case
            when split_draw < {{ train }} then 'train'
            when split_draw < {{ train + validation }} then 'validation'
            else 'test'
        end as split
    from draws

)

select * from final
