with

source as (

    select * from {{ source('landing', 'annotations') }}

),

final as (

    select
        {{ landed_columns('annotations') }},
        {{ blank_to_null('item_id') }} as item_id,
        {{ blank_to_null('label') }} as label,
        {{ blank_to_null('annotator_id') }} as annotator_id,
        {{ parse_timestamp(blank_to_null('annotated_at')) }} as annotated_at,
        {{ blank_to_null('annotated_at') }} is not null
        and {{ parse_timestamp(blank_to_null('annotated_at')) }} is null as has_unparseable_timestamp,
        cast(metadata as json) as metadata
    from source

)

select * from final
