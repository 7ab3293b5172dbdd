{#- One row per labelled retained item: the majority of each annotator's latest active label,
    ties broken by label name and flagged. -#}
with

items as (

    select item_id from {{ ref('int_items_retained') }}

),

annotations as (

    select annotations.*
    from {{ ref('int_annotations_validated') }} as annotations
    inner join items
        on annotations.item_id = items.item_id
    where annotations.reason_code is null and annotations.is_label_active

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

final as (

    select
        current_labels.item_id,
        current_labels.label,
        current_labels.is_label_tied,
        cast(current_labels.n_annotations as bigint) as n_annotations,
        annotators.n_annotators,
        current_labels.label_agreement
    from current_labels
    inner join annotators
        on current_labels.item_id = annotators.item_id

)

select * from final
