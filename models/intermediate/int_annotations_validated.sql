{{ config(materialized='table') }}  {#- a table: read by the quarantine report, the file loads and the items mart -#}

with

annotations as (

    select * from {{ ref('stg_landing__annotations') }}

),

labels as (

    select * from {{ ref('int_labels_mapped') }}

),

accepted_items as (

    select distinct item_id
    from {{ ref('int_items_validated') }}
    where reason_code is null

),

final as (

    select
        annotations.landed_row_id,
        annotations.source_kind,
        annotations.source_file,
        annotations.source_format,
        annotations.source_row_number,
        annotations.raw_record,
        annotations.item_id,
        annotations.annotator_id,
        annotations.annotated_at,
        annotations.label as label_given,
        labels.mapped_label as label,
        coalesce(labels.is_active, false) as is_label_active,
        case
            when annotations.parse_error is not null then 'malformed_row'
            when annotations.item_id is null then 'missing_item_id'
            when annotations.label is null or labels.label is null then 'unknown_label'
            when annotations.has_unparseable_timestamp then 'unparseable_timestamp'
            when accepted_items.item_id is null then 'unknown_item'
        end as reason_code,
        case
            when annotations.parse_error is not null then annotations.parse_error
            when annotations.item_id is null then 'item_id is empty'
            when annotations.label is null then 'label is empty'
            when labels.label is null then 'label ''' || annotations.label || ''' is not in the label schema'
            when annotations.has_unparseable_timestamp then 'not a timestamp: annotated_at'
            when accepted_items.item_id is null then 'no accepted item has item_id ''' || annotations.item_id || ''''
        end as reason_detail
    from annotations
    left join labels
        on annotations.label = labels.label
    left join accepted_items
        on annotations.item_id = accepted_items.item_id

)

select * from final
