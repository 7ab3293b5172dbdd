{#- One row per item per deletion request that targets it, by item_id or by pseudonym. -#}
with

items as (

    select * from {{ ref('int_items_redacted') }}

),

targets as (

    select * from {{ ref('int_deletion_targets') }}

),

by_item_id as (

    select
        items.item_id,
        targets.deletion_id,
        'item_id' as matched_by
    from items
    inner join targets
        on items.item_id = targets.item_id

),

by_pseudonym as (

    select
        items.item_id,
        targets.deletion_id,
        'pseudonym' as matched_by
    from items
    inner join targets
        on list_contains(items.pseudonyms, targets.pseudonym)

),

final as (

    select * from by_item_id
    union
    select * from by_pseudonym

)

select * from final
