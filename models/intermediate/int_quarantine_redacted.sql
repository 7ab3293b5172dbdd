{{ config(materialized='table') }}  {#- a table: redaction runs once, two marts and a test read it -#}

{#- One row per rejected landed row, from every landing folder, with its raw values made safe:
    a parsed record keeps its keys with personal columns pseudonymised and PII redacted;
    an unparseable record is PII-redacted as a whole. -#}
with

rejected as (

    select * from {{ ref('int_landed_rows') }}
    where reason_code is not null

),

record_keys as (

    select
        landed_row_id,
        raw_record,
        unnest(json_keys(cast(raw_record as json))) as key
    from rejected
    where json_type(cast(raw_record as json)) = 'OBJECT'

),

record_entries as (

    select
        landed_row_id,
        key,
        {{ is_personal_column('key') }} as is_personal,
        {{ sanitize_value('key', "cast(raw_record as json) ->> key") }} as value
    from record_keys

),

records_rebuilt as (

    select
        landed_row_id,
        cast({{ sorted_json_object("key", "value") }} as varchar) as raw_record,
        coalesce(list(value order by key) filter (where is_personal and value is not null), []) as pseudonyms
    from record_entries
    group by landed_row_id

),

final as (

    select
        rejected.landed_row_id,
        rejected.source_kind,
        rejected.source_file,
        rejected.source_format,
        rejected.source_row_number,
        rejected.item_id,
        rejected.reason_code,
        {{ redact_pii('rejected.reason_detail') }} as reason_detail,
        coalesce(records_rebuilt.raw_record, {{ redact_pii('rejected.raw_record') }}) as raw_record,
        coalesce(records_rebuilt.pseudonyms, []) as pseudonyms
    from rejected
    left join records_rebuilt
        on rejected.landed_row_id = records_rebuilt.landed_row_id

)

select * from final
