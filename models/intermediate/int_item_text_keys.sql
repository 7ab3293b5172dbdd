{{ config(materialized='table') }}  {#- a table: the landing-order window runs once, for the shingles, the pairs and their tests -#}

{#- One row per retained item: the text_key duplicates are found on, the item's landing rank,
    and the first-landed item with the same key (its representative). Items empty after
    redaction get no key, so they are never paired. -#}
with

items as (

    select * from {{ ref('int_items_retained') }}

),

keyed as (

    select
        item_id,
        case when not coalesce(is_empty_after_redaction, false) then text_key end as text_key,
        row_number() over (order by source_file, source_row_number, item_id) as landing_rank
    from items

),

represented as (

    select
        item_id,
        text_key,
        landing_rank,
        case
            when text_key is not null
                then first_value(item_id) over (partition by text_key order by landing_rank)
        end as representative_item_id
    from keyed

),

final as (

    select
        item_id,
        text_key,
        landing_rank,
        representative_item_id,
        coalesce(item_id = representative_item_id, false) as is_representative,
        md5(text_key) as text_key_hash
    from represented

)

select * from final
