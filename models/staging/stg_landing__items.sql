with

source as (

    select * from {{ source('landing', 'items') }}

),

cleaned as (

    select
        {{ landed_columns('items') }},
        {{ blank_to_null('item_id') }} as item_id,
        text as text_raw,
        {{ clean_text('text') }} as text,
        cast(metadata as json) as metadata
    from source

),

final as (

    select
        *,
        {{ text_key('text') }} as text_key,
        {{ unparseable_timestamp_keys('metadata') }} as unparseable_timestamp_columns
    from cleaned

)

select * from final
