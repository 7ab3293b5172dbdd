{%- set own_columns = [
    'item_id', 'text', 'text_key', 'metadata', 'label', 'label_method', 'label_confidence',
    'is_label_tied', 'is_label_contested', 'is_reviewed', 'is_trainable', 'n_annotations',
    'n_annotators', 'label_agreement', 'is_labelled', 'has_pii', 'is_empty_after_redaction',
    'source_file', 'source_row_number', 'n_deliveries', 'landed_row_id', 'build_id',
    'cluster_id', 'cluster_size', 'has_conflicting_labels', 'split',
] -%}
{%- set keys = metadata_keys(ref('int_items_retained')) -%}

with

items as (

    select * from {{ ref('int_items_labelled') }}

),

cluster_labels as (

    select
        cluster_id,
        count(distinct label) > 1 as has_conflicting_labels
    from items
    where label is not null
    group by cluster_id

),

final as (

    select
        items.item_id,
        items.text,
        items.text_key,
        {% if keys %}{{ metadata_columns(keys, taken=own_columns, column='items.metadata') }},{% endif %}
        items.metadata,
        items.label,
        items.label_method,
        items.label_confidence,
        items.is_label_tied,
        items.is_label_contested,
        items.is_reviewed,
        items.is_trainable,
        items.n_annotations,
        items.n_annotators,
        items.label_agreement,
        items.is_labelled,
        items.cluster_id,
        items.cluster_size,
        coalesce(cluster_labels.has_conflicting_labels, false) as has_conflicting_labels,
        items.split,
        items.has_pii,
        items.is_empty_after_redaction,
        items.source_file,
        items.source_row_number,
        items.n_deliveries,
        items.landed_row_id,
        '{{ current_build_id() }}' as build_id
    from items
    left join cluster_labels
        on items.cluster_id = cluster_labels.cluster_id

)

select * from final
