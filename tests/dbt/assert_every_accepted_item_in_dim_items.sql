{#- Every accepted items row is represented by exactly one dim_items row for its item_id. -#}
with

accepted as (

    select distinct item_id
    from {{ ref('int_items_validated') }}
    where reason_code is null

),

items as (

    select * from {{ ref('dim_items') }}

)

select coalesce(accepted.item_id, items.item_id) as item_id
from accepted
full outer join items
    on accepted.item_id = items.item_id
where accepted.item_id is null or items.item_id is null
