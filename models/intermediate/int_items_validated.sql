{{ config(materialized='table') }}  {#- a table: text cleaning runs once, not in every consumer -#}

with

items as (

    select * from {{ ref('stg_landing__items') }}

),

row_checks as (

    select
        *,
        md5(coalesce(text, '') || chr(31) || coalesce(cast(metadata as varchar), '')) as content_hash,
        case
            when parse_error is not null then 'malformed_row'
            when item_id is null then 'missing_item_id'
            when text is null then 'empty_text'
            when array_length(unparseable_timestamp_columns) > 0 then 'unparseable_timestamp'
        end as row_reason_code
    from items

),

first_landed as (

    {#- The first landed version of an item (by file path, then row) is the one kept. -#}
    select
        item_id,
        content_hash,
        landed_row_id,
        source_file,
        source_row_number,
        row_number() over (partition by item_id order by source_file asc, source_row_number asc) as landing_rank
    from row_checks
    where row_reason_code is null

),

first_versions as (

    select
        item_id,
        content_hash as kept_content_hash,
        landed_row_id as kept_landed_row_id,
        source_file || ' row ' || cast(source_row_number as varchar) as kept_row
    from first_landed
    where landing_rank = 1

),

final as (

    select
        row_checks.landed_row_id,
        row_checks.source_kind,
        row_checks.source_file,
        row_checks.source_format,
        row_checks.source_row_number,
        row_checks.raw_record,
        row_checks.item_id,
        row_checks.text_raw,
        row_checks.text,
        row_checks.metadata,
        row_checks.content_hash,
        row_checks.row_reason_code is null
        and row_checks.content_hash = first_versions.kept_content_hash
        and row_checks.landed_row_id != first_versions.kept_landed_row_id as is_redelivery,
        coalesce(
            row_checks.row_reason_code,
            case when row_checks.content_hash != first_versions.kept_content_hash then 'conflicting_item_id' end
        ) as reason_code,
        case
            when row_checks.row_reason_code = 'malformed_row' then row_checks.parse_error
            when row_checks.row_reason_code = 'missing_item_id' then 'item_id is empty'
            when row_checks.row_reason_code = 'empty_text' then 'text is empty after cleaning'
            when row_checks.row_reason_code = 'unparseable_timestamp'
                then 'not a timestamp: ' || array_to_string(row_checks.unparseable_timestamp_columns, ', ')
            when row_checks.content_hash != first_versions.kept_content_hash
                then 'item_id already landed with different content in ' || first_versions.kept_row
        end as reason_detail
    from row_checks
    left join first_versions
        on row_checks.item_id = first_versions.item_id

)

select * from final
