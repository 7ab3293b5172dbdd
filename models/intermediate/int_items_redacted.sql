{{ config(materialized='table') }}  {#- a table: redaction and pseudonymisation run once per build -#}

{#- One row per accepted item with personal data removed: PII in the text and in every
    metadata value becomes a typed placeholder, personal metadata columns become keyed
    pseudonyms. Nothing downstream reads the unredacted text. -#}
with

items as (

    select * from {{ ref('int_items_accepted') }}

),

metadata_keys as (

    select
        item_id,
        metadata,
        unnest(json_keys(metadata)) as key
    from items
    where metadata is not null

),

metadata_entries as (

    select
        item_id,
        key,
        {{ is_personal_column('key') }} as is_personal,
        {{ sanitize_value('key', "metadata ->> key") }} as value,
        case
            when {{ is_personal_column('key') }} then cast([] as varchar[])
            else list_transform({{ pii_found("metadata ->> key") }}, lambda pii_type: key || ':' || pii_type)
        end as pii_findings
    from metadata_keys

),

metadata_rebuilt as (

    select
        item_id,
        {{ sorted_json_object("key", "value") }} as metadata,
        coalesce(list(value order by key) filter (where is_personal and value is not null), []) as pseudonyms,
        flatten(list(pii_findings order by key)) as metadata_pii_findings
    from metadata_entries
    group by item_id

),

redacted as (

    select
        items.item_id,
        {{ redact_pii('items.text') }} as text,
        coalesce({{ pii_found('items.text') }}, []) as text_pii_types,
        metadata_rebuilt.metadata,
        coalesce(metadata_rebuilt.pseudonyms, []) as pseudonyms,
        coalesce(metadata_rebuilt.metadata_pii_findings, []) as metadata_pii_findings,
        items.source_file,
        items.source_row_number,
        items.landed_row_id,
        items.n_deliveries
    from items
    left join metadata_rebuilt
        on items.item_id = metadata_rebuilt.item_id

),

final as (

    select
        *,
        {{ text_key('text') }} as text_key,
        {{ text_key("regexp_replace(text, '<[A-Z_]+>', ' ', 'g')") }} is null as is_empty_after_redaction,
        len(text_pii_types) + len(metadata_pii_findings) > 0 as has_pii
    from redacted

)

select * from final
