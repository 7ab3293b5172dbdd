with

deletions as (

    select * from {{ ref('stg_landing__deletions') }}

),

final as (

    select
        landed_row_id,
        source_kind,
        source_file,
        source_format,
        source_row_number,
        raw_record,
        item_id,
        reason,
        requested_at,
        case
            when parse_error is not null then 'malformed_row'
            when item_id is null then 'missing_item_id'
            when has_unparseable_timestamp then 'unparseable_timestamp'
        end as reason_code,
        case
            when parse_error is not null then parse_error
            when item_id is null then 'item_id is empty'
            when has_unparseable_timestamp then 'not a timestamp: requested_at'
        end as reason_detail
    from deletions

)

select * from final
