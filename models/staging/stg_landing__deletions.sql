with

source as (

    select * from {{ source('landing', 'deletions') }}

),

final as (

    select
        {{ landed_columns('deletions') }},
        {{ blank_to_null('item_id') }} as item_id,
        {{ blank_to_null('pseudonym') }} as pseudonym,
        {{ blank_to_null('reason') }} as reason,
        {{ parse_timestamp(blank_to_null('requested_at')) }} as requested_at,
        {{ blank_to_null('requested_at') }} is not null
        and {{ parse_timestamp(blank_to_null('requested_at')) }} is null as has_unparseable_timestamp
    from source

)

select * from final
