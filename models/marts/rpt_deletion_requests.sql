{#- The audit of deletion requests: each request, what it targeted and how much it removed. -#}
with

targets as (

    select * from {{ ref('int_deletion_targets') }}

),

deleted_items as (

    select
        deletion_id,
        count(distinct item_id) as n_items_deleted
    from {{ ref('int_items_deleted') }}
    group by deletion_id

),

final as (

    select
        targets.deletion_id,
        targets.item_id,
        targets.pseudonym,
        {{ redact_pii('targets.reason') }} as reason,
        targets.requested_at,
        targets.source_file,
        targets.source_row_number,
        coalesce(deleted_items.n_items_deleted, 0) as n_items_deleted,
        '{{ current_build_id() }}' as build_id
    from targets
    left join deleted_items
        on targets.deletion_id = deleted_items.deletion_id

)

select * from final
