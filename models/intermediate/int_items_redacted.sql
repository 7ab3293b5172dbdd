{{ config(materialized='table') }}  {#- a table: the redacted items are read by every mart -#}

{#- One row per accepted item with personal data removed: PII in the text and in every
    metadata value becomes a typed placeholder, personal metadata columns become keyed
    pseudonyms. Nothing downstream reads the unredacted text. -#}
with

items as (

    select * from {{ ref('int_items_accepted') }}

),

item_values as (

    select * from {{ ref('int_item_values') }}

),

redactions as (

    {#- the cache's post-hook left only rows of the current redaction macros -#}
    select * from {{ ref('int_text_redactions') }}

),

metadata_redactions as (

    select
        item_values.item_id,
        item_values.metadata_key as key,
        item_values.is_personal,
        item_values.landed_value,
        redactions.redacted_value,
        redactions.pii_types
    from item_values
    left join redactions
        on item_values.value_hash = redactions.value_hash
    where item_values.metadata_key is not null

),

metadata_entries as (

    select
        item_id,
        key,
        is_personal,
        case
            when is_personal then {{ pseudonymise('landed_value') }}
            else redacted_value
        end as value,
        case
            when is_personal then cast([] as varchar[])
            else list_transform(
                coalesce(pii_types, cast([] as varchar[])), lambda pii_type: key || ':' || pii_type
            )
        end as pii_findings
    from metadata_redactions

),

metadata_grouped as (

    {#- an unordered list sorted afterwards (by key, the struct's first field, unique in an
        item): ordered aggregates sort per group and cost three times as much at 1M items -#}
    select
        item_id,
        list_sort(list(struct_pack(
            key := key, value := value, is_personal := is_personal, pii_findings := pii_findings
        ))) as entries
    from metadata_entries
    group by item_id

),

metadata_rebuilt as (

    select
        item_id,
        to_json(map_from_entries(list_transform(
            entries,
            lambda entry: struct_pack(
                key := struct_extract(entry, 'key'), value := struct_extract(entry, 'value')
            )
        ))) as metadata,
        list_transform(
            list_filter(
                entries,
                lambda entry: struct_extract(entry, 'is_personal')
                and struct_extract(entry, 'value') is not null
            ),
            lambda entry: struct_extract(entry, 'value')
        ) as pseudonyms,
        flatten(
            list_transform(entries, lambda entry: struct_extract(entry, 'pii_findings'))
        ) as metadata_pii_findings
    from metadata_grouped

),

redacted as (

    select
        items.item_id,
        redactions.redacted_value as text,
        metadata_rebuilt.metadata,
        items.source_file,
        items.source_row_number,
        items.landed_row_id,
        items.n_deliveries,
        coalesce(redactions.pii_types, cast([] as varchar[])) as text_pii_types,
        coalesce(metadata_rebuilt.pseudonyms, []) as pseudonyms,
        coalesce(metadata_rebuilt.metadata_pii_findings, []) as metadata_pii_findings
    from items
    left join item_values as texts
        on items.item_id = texts.item_id and texts.metadata_key is null
    left join redactions
        on texts.value_hash = redactions.value_hash
    left join metadata_rebuilt
        on items.item_id = metadata_rebuilt.item_id

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
