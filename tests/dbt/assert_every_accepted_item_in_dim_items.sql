{#- dim_items holds exactly the accepted items that no deletion request targets. -#}
with

accepted as (

    select distinct item_id
    from {{ ref('int_items_validated') }}
    where reason_code is null

),

deleted as (

    select distinct item_id from {{ ref('int_items_deleted') }}

),

expected as (

    select accepted.item_id
    from accepted
    left join deleted
        on accepted.item_id = deleted.item_id
    where deleted.item_id is null

),

items as (

    select * from {{ ref('dim_items') }}

)

select coalesce(expected.item_id, items.item_id) as item_id
from expected
full outer join items
    on expected.item_id = items.item_id
where expected.item_id is null or items.item_id is null
