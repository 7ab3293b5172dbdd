{{ config(materialized='incremental', incremental_strategy='append') }}  {#- history: only changes are appended -#}

{#- One row per item per change of split: its first assignment ('new'), a move because a
    new item merged its cluster into an older one ('cluster_merge'), or a move because the
    split settings changed ('settings_change'). The latest row of an item is its split. -#}
with

splits as (

    select * from {{ ref('int_item_splits') }}

),

history as (

    {% if is_incremental() %}
        select
            assignment_id,
            item_id,
            split,
            cluster_id,
            build_id,
            assigned_at
        from {{ this }}
    {% else %}
        select
            cast(null as varchar) as assignment_id,
            cast(null as varchar) as item_id,
            cast(null as varchar) as split,
            cast(null as varchar) as cluster_id,
            cast(null as varchar) as build_id,
            cast(null as timestamp) as assigned_at
        where false
    {% endif %}

),

history_ranks as (

    select
        item_id,
        split,
        cluster_id,
        row_number() over (partition by item_id order by assigned_at desc, assignment_id desc) as history_rank
    from history

),

latest as (

    select * from history_ranks
    where history_rank = 1

),

changes as (

    select
        splits.item_id,
        splits.cluster_id,
        splits.split,
        latest.split as previous_split,
        case
            when latest.item_id is null then 'new'
            when latest.cluster_id != splits.cluster_id then 'cluster_merge'
            else 'settings_change'
        end as reason
    from splits
    left join latest
        on splits.item_id = latest.item_id
    where latest.item_id is null or latest.split != splits.split

),

final as (

    select
        md5('{{ current_build_id() }}' || ':' || item_id) as assignment_id,
        item_id,
        cluster_id,
        split,
        previous_split,
        reason,
        '{{ current_build_id() }}' as build_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as assigned_at
    from changes

)

select * from final
where build_id not in (select history.build_id from history)
