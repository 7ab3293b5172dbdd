{%- set own_columns = [
    'item_id', 'text', 'text_key', 'metadata', 'label', 'is_label_tied', 'n_annotations',
    'n_annotators', 'label_agreement', 'is_labelled', 'source_file', 'source_row_number',
    'n_deliveries', 'landed_row_id', 'build_id',
] -%}
{%- set keys = metadata_keys(ref('int_items_validated')) -%}

with

items as (

    select * from {{ ref('int_items_validated') }}
    where reason_code is null

),

annotations as (

    select * from {{ ref('int_annotations_validated') }}
    where reason_code is null and is_label_active

),

annotation_ranks as (

    {#- Each annotator's latest label for an item counts once; anonymous rows count each. -#}
    select
        *,
        row_number() over (
            partition by item_id, coalesce(annotator_id, landed_row_id)
            order by annotated_at desc nulls last, source_file desc, source_row_number desc
        ) as annotation_rank
    from annotations

),

latest_annotations as (

    select * from annotation_ranks
    where annotation_rank = 1

),

votes as (

    select
        item_id,
        label,
        count(*) as n_votes
    from latest_annotations
    group by item_id, label

),

vote_ranks as (

    select
        *,
        sum(n_votes) over (partition by item_id) as n_annotations,
        rank() over (partition by item_id order by n_votes desc) as vote_rank,
        row_number() over (partition by item_id order by n_votes desc, label asc) as label_rank
    from votes

),

current_labels as (

    select
        item_id,
        max(case when label_rank = 1 then label end) as label,
        count(case when vote_rank = 1 then 1 end) > 1 as is_label_tied,
        max(n_annotations) as n_annotations,
        max(case when label_rank = 1 then n_votes end) / max(n_annotations) as label_agreement
    from vote_ranks
    group by item_id

),

annotators as (

    select
        item_id,
        count(distinct annotator_id) as n_annotators
    from latest_annotations
    group by item_id

),

deliveries as (

    select
        item_id,
        count(*) as n_deliveries
    from items
    group by item_id

),

delivery_ranks as (

    select
        *,
        row_number() over (partition by item_id order by source_file asc, source_row_number asc) as delivery_rank
    from items

),

first_deliveries as (

    select * from delivery_ranks
    where delivery_rank = 1

),

final as (

    select
        first_deliveries.item_id,
        first_deliveries.text,
        first_deliveries.text_key,
        {% if keys %}{{ metadata_columns(keys, taken=own_columns) }},{% endif %}
        first_deliveries.metadata,
        current_labels.label,
        coalesce(current_labels.is_label_tied, false) as is_label_tied,
        coalesce(current_labels.n_annotations, 0) as n_annotations,
        coalesce(annotators.n_annotators, 0) as n_annotators,
        current_labels.label_agreement,
        current_labels.label is not null as is_labelled,
        first_deliveries.source_file,
        first_deliveries.source_row_number,
        deliveries.n_deliveries,
        first_deliveries.landed_row_id,
        '{{ current_build_id() }}' as build_id
    from first_deliveries
    inner join deliveries
        on first_deliveries.item_id = deliveries.item_id
    left join current_labels
        on first_deliveries.item_id = current_labels.item_id
    left join annotators
        on first_deliveries.item_id = annotators.item_id

)

select * from final
