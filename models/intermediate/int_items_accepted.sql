{#- One row per accepted item: its first landed version, with how often it was delivered. -#}
with

validated as (

    select * from {{ ref('int_items_validated') }}
    where reason_code is null

),

delivery_ranks as (

    select
        *,
        row_number() over (partition by item_id order by source_file asc, source_row_number asc) as delivery_rank,
        count(*) over (partition by item_id) as n_deliveries
    from validated

),

final as (

    select
        item_id,
        text,
        metadata,
        source_file,
        source_row_number,
        landed_row_id,
        n_deliveries
    from delivery_ranks
    where delivery_rank = 1

)

select * from final
