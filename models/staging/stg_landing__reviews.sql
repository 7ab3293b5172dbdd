with

source as (

    select * from {{ source('landing', 'reviews') }}

),

final as (

    select
        {{ landed_columns('reviews') }},
        {{ blank_to_null('review_id') }} as review_id,
        {{ blank_to_null('item_id') }} as item_id,
        lower({{ blank_to_null('action') }}) as action,
        {{ blank_to_null('label') }} as label,
        {{ blank_to_null('reviewer') }} as reviewer,
        {{ blank_to_null('reason') }} as reason,
        {{ parse_timestamp(blank_to_null('created_at')) }} as created_at,
        {{ blank_to_null('created_at') }} is not null
        and {{ parse_timestamp(blank_to_null('created_at')) }} is null as has_unparseable_timestamp
    from source

)

select * from final
