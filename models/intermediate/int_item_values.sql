{{ config(materialized='table') }}  {#- a table: the redaction cache, its post-hook and int_items_redacted read it -#}

{#- One row per value of an accepted item that redaction reads: its text (metadata_key
    NULL) and each of its metadata values, with the value's md5, the key of the redaction
    cache (int_text_redactions). -#}
with

items as (

    select * from {{ ref('int_items_accepted') }}

),

texts as (

    select
        item_id,
        cast(null as varchar) as metadata_key,
        text as landed_value,
        false as is_personal
    from items

),

metadata_keys as (

    select
        item_id,
        metadata,
        unnest(json_keys(metadata)) as metadata_key
    from items
    where metadata is not null

),

metadata_values as (

    select
        item_id,
        metadata_key,
        metadata ->> metadata_key as landed_value,
        {{ is_personal_column('metadata_key') }} as is_personal
    from metadata_keys

),

item_values as (

    select * from texts
    union all
    select * from metadata_values

),

final as (

    select
        *,
        md5(landed_value) as value_hash
    from item_values

)

select * from final
