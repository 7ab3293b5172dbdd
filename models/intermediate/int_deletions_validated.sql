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
        pseudonym,
        reason,
        requested_at,
        case
            when parse_error is not null then 'malformed_row'
            when item_id is null and pseudonym is null then 'missing_deletion_target'
            when has_unparseable_timestamp then 'unparseable_timestamp'
        end as reason_code,
        case
            when parse_error is not null then parse_error
            when item_id is null and pseudonym is null then 'both item_id and pseudonym are empty'
            when has_unparseable_timestamp then 'not a timestamp: requested_at'
        end as reason_detail
    from deletions

)

select * from final
