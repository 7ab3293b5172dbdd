{#- One row per accepted, redacted item that no deletion request targets: what every mart builds on. -#}
with

items as (

    select * from {{ ref('int_items_redacted') }}

),

deleted as (

    select distinct item_id from {{ ref('int_items_deleted') }}

),

final as (

    select items.*
    from items
    left join deleted
        on items.item_id = deleted.item_id
    where deleted.item_id is null

)

select * from final
