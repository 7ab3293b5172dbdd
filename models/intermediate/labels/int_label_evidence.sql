{{ config(materialized='table') }}  {#- a table: read by the consensus, agreement and annotator models -#}

{#- One row per piece of label evidence for a retained item: each annotator's latest active
    annotation (every round with var annotation_rounds = 'all'), and, when var review_weight
    is a number, each item's latest labelling review weighted by it. Deprecated labels
    without a replacement are not evidence, so they never reach training. -#}
{%- set review_weight = var('review_weight') -%}

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

annotation_rounds as (

    {#- An annotator's latest label for an item counts once; unnamed rows count each. -#}
    select
        *,
        row_number() over (
            partition by item_id, coalesce(annotator_id, landed_row_id)
            order by annotated_at desc nulls last, source_file desc, source_row_number desc
        ) as round_from_latest
    from annotations

),

annotation_evidence as (

    select
        landed_row_id as evidence_id,
        item_id,
        'annotation' as evidence_kind,
        label,
        label_given,
        cast(1.0 as double) as weight,
        annotated_at as evidence_at,
        source_file,
        source_row_number,
        round_from_latest,
        coalesce(annotator_id, '(anonymous)') as annotator_id
    from annotation_rounds
    {% if var('annotation_rounds') != 'all' %}
        where round_from_latest = 1
    {% endif %}

),

{% if review_weight is number %}
    reviews as (

        select * from {{ ref('int_item_reviews') }}
        where label is not null and action in ('confirm', 'relabel')

    ),

    review_evidence as (

        select
            landed_row_id as evidence_id,
            item_id,
            'review' as evidence_kind,
            label,
            label_given,
            cast({{ review_weight }} as double) as weight,
            created_at as evidence_at,
            source_file,
            source_row_number,
            1 as round_from_latest,
            'reviewer:' || coalesce(reviewer, '(anonymous)') as annotator_id
        from reviews

    ),
{% endif %}

final as (

    select * from annotation_evidence
    {% if review_weight is number %}
        union all
        {# the same columns in the same order as annotation_evidence #}
        select * from review_evidence
    {% endif %}

)

select * from final
