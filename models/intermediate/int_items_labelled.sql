{{ config(materialized='view') }}

{#- One row per retained item with its consensus label, duplicate cluster and split: what
    training reads, and what dim_items widens (metadata columns, conflicting labels). A view,
    so that training does not wait for dim_items and the mart's tests (its PII scan alone took
    23 s at 1M items): they run beside training. -#}
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

final as (

    select
        items.item_id,
        items.text,
        items.text_key,
        items.metadata,
        labels.label,
        labels.label_method,
        labels.label_confidence,
        labels.label_agreement,
        clusters.cluster_id,
        clusters.cluster_size,
        splits.split,
        items.has_pii,
        items.is_empty_after_redaction,
        items.source_file,
        items.source_row_number,
        items.n_deliveries,
        items.landed_row_id,
        coalesce(labels.is_tied, false) as is_label_tied,
        coalesce(labels.is_contested, false) as is_label_contested,
        coalesce(labels.is_reviewed, false) as is_reviewed,
        coalesce(labels.is_trainable, false) as is_trainable,
        coalesce(labels.n_annotations, 0) as n_annotations,
        coalesce(labels.n_annotators, 0) as n_annotators,
        labels.label is not null as is_labelled
    from items
    left join labels
        on items.item_id = labels.item_id
    inner join clusters
        on items.item_id = clusters.item_id
    inner join splits
        on items.item_id = splits.item_id

)

select * from final
