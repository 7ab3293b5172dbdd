{#- The audit of redaction: how many pieces of each PII type were removed from each item, never the values. -#}
with

items as (

    select * from {{ ref('int_items_retained') }}

),

text_findings as (

    select
        item_id,
        'text' as column_name,
        unnest(text_pii_types) as pii_type
    from items

),

metadata_findings as (

    select
        item_id,
        split_part(finding, ':', 1) as column_name,
        split_part(finding, ':', 2) as pii_type
    from (
        select
            item_id,
            unnest(metadata_pii_findings) as finding
        from items
    ) as findings

),

findings as (

    select * from text_findings
    union all
    select * from metadata_findings

),

final as (

    select
        md5(item_id || ':' || column_name || ':' || pii_type) as redaction_id,
        item_id,
        column_name,
        pii_type,
        count(*) as n_redactions,
        '{{ current_build_id() }}' as build_id
    from findings
    group by item_id, column_name, pii_type

)

select * from final
