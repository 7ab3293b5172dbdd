{#- What to annotate next: one row per unlabelled item, scored by the model's uncertainty
    (var annotation_strategy: least_confidence, margin or entropy), at most
    var annotation_per_cluster items per duplicate cluster (near-identical texts share a
    cluster), ranked; the first var annotation_batch_size form the next batch. -#}
{%- set strategy = var('annotation_strategy') -%}
{%- set score = {
    'least_confidence': 'predictions.least_confidence',
    'margin': '1 - predictions.margin',
    'entropy': 'predictions.normalized_entropy',
}[strategy] -%}

with

predictions as (

    select * from {{ ref('fct_predictions') }}
    where given_label is null

),

items as (

    select
        item_id,
        cluster_id,
        cluster_size
    from {{ ref('dim_items') }}

),

scored as (

    select
        predictions.model_run_id,
        predictions.item_id,
        items.cluster_id,
        items.cluster_size,
        predictions.split,
        predictions.predicted_label,
        predictions.predicted_probability,
        predictions.least_confidence,
        predictions.margin,
        predictions.normalized_entropy,
        {{ score }} as uncertainty
    from predictions
    inner join items
        on predictions.item_id = items.item_id

),

cluster_ranked as (

    select
        *,
        row_number() over (partition by cluster_id order by uncertainty desc, item_id asc) as rank_in_cluster
    from scored

),

final as (

    select
        model_run_id,
        item_id,
        cluster_id,
        cluster_size,
        split,
        predicted_label,
        predicted_probability,
        least_confidence,
        margin,
        normalized_entropy,
        uncertainty,
        '{{ strategy }}' as strategy,
        row_number() over (order by uncertainty desc, item_id asc) as queue_rank,
        row_number() over (order by uncertainty desc, item_id asc) <= {{ var('annotation_batch_size') }} as is_in_next_batch
    from cluster_ranked
    where rank_in_cluster <= {{ var('annotation_per_cluster') }}

)

select * from final
