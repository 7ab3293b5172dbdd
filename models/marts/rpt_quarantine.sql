with

quarantine as (

    select * from {{ ref('int_quarantine_redacted') }}

),

targets as (

    select * from {{ ref('int_deletion_targets') }}

),

deleted as (

    {#- Rows of a forgotten item or person leave the report with the item itself. -#}
    select distinct quarantine.landed_row_id
    from quarantine
    inner join targets
        on
            quarantine.item_id = targets.item_id
            or list_contains(quarantine.pseudonyms, targets.pseudonym)

),

final as (

    select
        quarantine.landed_row_id as quarantine_id,
        quarantine.source_kind,
        quarantine.source_file,
        quarantine.source_format,
        quarantine.source_row_number,
        quarantine.item_id,
        quarantine.reason_code,
        quarantine.reason_detail,
        quarantine.raw_record,
        '{{ current_build_id() }}' as build_id
    from quarantine
    left join deleted
        on quarantine.landed_row_id = deleted.landed_row_id
    where deleted.landed_row_id is null

)

select * from final
