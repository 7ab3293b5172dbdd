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

    select * from {{ ref('int_items_retained') }}

),

labels as (

    select * from {{ ref('fct_item_labels') }}

),

clusters as (

    select * from {{ ref('int_duplicate_clusters') }}

),

splits as (

    select * from {{ ref('int_item_splits') }}

),

cluster_labels as (

    select
        clusters.cluster_id,
        count(distinct labels.label) > 1 as has_conflicting_labels
    from clusters
    inner join labels
        on clusters.item_id = labels.item_id
    where labels.label is not null
    group by clusters.cluster_id

),

final as (

    select
        items.item_id,
        items.text,
        items.text_key,
        {% if keys %}{{ metadata_columns(keys, taken=own_columns, column='items.metadata') }},{% endif %}
        items.metadata,
        labels.label,
        labels.label_method,
        labels.label_confidence,
        coalesce(labels.is_tied, false) as is_label_tied,
        coalesce(labels.is_contested, false) as is_label_contested,
        coalesce(labels.is_reviewed, false) as is_reviewed,
        coalesce(labels.is_trainable, false) as is_trainable,
        coalesce(labels.n_annotations, 0) as n_annotations,
        coalesce(labels.n_annotators, 0) as n_annotators,
        labels.label_agreement,
        labels.label is not null as is_labelled,
        clusters.cluster_id,
        clusters.cluster_size,
        coalesce(cluster_labels.has_conflicting_labels, false) as has_conflicting_labels,
        splits.split,
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
    inner join clusters
        on items.item_id = clusters.item_id
    inner join splits
        on items.item_id = splits.item_id
    left join cluster_labels
        on clusters.cluster_id = cluster_labels.cluster_id

)

select * from final
