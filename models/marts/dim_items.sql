{%- set own_columns = [
    'item_id', 'text', 'text_key', 'metadata', 'label', 'is_label_tied', 'n_annotations',
    'n_annotators', 'label_agreement', 'is_labelled', 'has_pii', 'is_empty_after_redaction',
    'source_file', 'source_row_number', 'n_deliveries', 'landed_row_id', 'build_id',
] -%}
{%- set keys = metadata_keys(ref('int_items_retained')) -%}

with

items as (

    select * from {{ ref('int_items_retained') }}

),

labels as (

    select * from {{ ref('int_item_labels_current') }}

),

final as (

    select
        items.item_id,
        items.text,
        items.text_key,
        {% if keys %}{{ metadata_columns(keys, taken=own_columns, column='items.metadata') }},{% endif %}
        items.metadata,
        labels.label,
        coalesce(labels.is_label_tied, false) as is_label_tied,
        coalesce(labels.n_annotations, 0) as n_annotations,
        coalesce(labels.n_annotators, 0) as n_annotators,
        labels.label_agreement,
        labels.label is not null as is_labelled,
        items.has_pii,
        items.is_empty_after_redaction,
        items.source_file,
        items.source_row_number,
        items.n_deliveries,
        items.landed_row_id,
        '{{ current_build_id() }}' as build_id
    from items
    left join labels
        on items.item_id = labels.item_id

)

select * from final
