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

metadata_values as (

    select
        item_id,
        key,
        metadata ->> key as landed_value,
        {{ is_personal_column('key') }} as is_personal,
        {{ sanitize_value('key', "metadata ->> key") }} as value
    from metadata_keys

),

metadata_entries as (

    select
        item_id,
        key,
        is_personal,
        value,
        case
            when is_personal then cast([] as varchar[])
            else list_transform(
                {{ pii_found_given_redacted('landed_value', 'value') }}, lambda pii_type: key || ':' || pii_type
            )
        end as pii_findings
    from metadata_values

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

redacted_texts as (

    select
        item_id,
        text as landed_text,
        {{ redact_pii('text') }} as text,
        source_file,
        source_row_number,
        landed_row_id,
        n_deliveries
    from items

),

redacted as (

    select
        redacted_texts.item_id,
        redacted_texts.text,
        {{ pii_found_given_redacted('redacted_texts.landed_text', 'redacted_texts.text') }} as text_pii_types,
        metadata_rebuilt.metadata,
        coalesce(metadata_rebuilt.pseudonyms, []) as pseudonyms,
        coalesce(metadata_rebuilt.metadata_pii_findings, []) as metadata_pii_findings,
        redacted_texts.source_file,
        redacted_texts.source_row_number,
        redacted_texts.landed_row_id,
        redacted_texts.n_deliveries
    from redacted_texts
    left join metadata_rebuilt
        on redacted_texts.item_id = metadata_rebuilt.item_id

),

final as (

    select
        *,
        {{ text_key('text') }} as text_key,
        {{ text_key("regexp_replace(text, '<[A-Z_]+>', ' ', 'g')") }} is null as is_empty_after_redaction,
        array_length(text_pii_types) + array_length(metadata_pii_findings) > 0 as has_pii
    from redacted

)

select * from final
