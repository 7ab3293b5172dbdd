{{ config(materialized='incremental', unique_key='model_run_id', on_schema_change='append_new_columns') }}

{#- One row per model run (one per build): its settings and quality per split, measured on
    out-of-fold predictions for train and validation and held-out ones for test, and the
    change since the previous run, so the effect of a round of reviews shows. -#}
with

predictions as (

    select * from {{ ref('fct_predictions') }}
    where given_label is not null and is_trainable

),

probabilities as (

    select * from {{ ref('fct_prediction_probabilities') }}

),

reviews as (

    select count(*) as n_reviewed_items from {{ ref('fct_item_labels') }}
    where is_reviewed

),

classes as (

    select distinct
        split,
        given_label as label
    from predictions
    union
    select distinct
        split,
        predicted_label as label
    from predictions

),

class_counts as (

    select
        classes.split,
        classes.label,
        count(case when predictions.predicted_label = classes.label and predictions.given_label = classes.label then 1 end)
            as n_true_positive,
        count(case when predictions.predicted_label = classes.label and predictions.given_label <> classes.label then 1 end)
            as n_false_positive,
        count(case when predictions.predicted_label <> classes.label and predictions.given_label = classes.label then 1 end)
            as n_false_negative
    from classes
    inner join predictions
        on classes.split = predictions.split
    group by classes.split, classes.label

),

split_f1 as (

    select
        split,
        avg(2.0 * n_true_positive / nullif(2 * n_true_positive + n_false_positive + n_false_negative, 0) order by label) as macro_f1
    from class_counts
    group by split

),

split_metrics as (

    select
        predictions.split,
        count(*) as n_items,
        avg(case when predictions.is_correct then 1.0 else 0.0 end) as accuracy,
        -avg(ln(greatest(predictions.self_confidence, 1e-15)) order by predictions.item_id) as log_loss,
        max(split_f1.macro_f1) as macro_f1
    from predictions
    left join split_f1
        on predictions.split = split_f1.split
    group by predictions.split

),

run as (

    select
        max(model_run_id) as model_run_id,
        max(params) as params,
        max(train_seconds) as train_seconds,
        count(distinct label) as n_classes,
        count(distinct item_id) as n_scored_items,
        count(distinct case when is_out_of_fold then item_id end) as n_out_of_fold_items
    from probabilities

),

current_run as (

    select
        run.model_run_id,
        current_timestamp as trained_at,
        run.params,
        run.train_seconds,
        run.n_classes,
        run.n_scored_items,
        run.n_out_of_fold_items,
        reviews.n_reviewed_items,
        {% for split in ['train', 'validation', 'test'] %}
            max(case when split_metrics.split = '{{ split }}' then split_metrics.n_items end) as {{ split }}_n_labelled,
            max(case when split_metrics.split = '{{ split }}' then split_metrics.accuracy end) as {{ split }}_accuracy,
            max(case when split_metrics.split = '{{ split }}' then split_metrics.macro_f1 end) as {{ split }}_macro_f1,
            max(case when split_metrics.split = '{{ split }}' then split_metrics.log_loss end) as {{ split }}_log_loss,
        {% endfor %}
        '{{ current_build_id() }}' as build_id
    from run
    cross join reviews
    left join split_metrics
        on true
    where run.model_run_id is not null
    group by
        run.model_run_id, run.params, run.train_seconds, run.n_classes, run.n_scored_items,
        run.n_out_of_fold_items, reviews.n_reviewed_items

),

{% if is_incremental() %}
    previous_run as (

        select *
        from {{ this }}
        where model_run_id <> (select max(model_run_id) from current_run)
        order by trained_at desc
        limit 1

    ),
{% endif %}

final as (

    select
        current_run.*,
        {% if is_incremental() %}
            previous_run.model_run_id as previous_model_run_id,
            current_run.validation_accuracy - previous_run.validation_accuracy as validation_accuracy_change,
            current_run.validation_macro_f1 - previous_run.validation_macro_f1 as validation_macro_f1_change,
            current_run.n_reviewed_items - previous_run.n_reviewed_items as n_new_reviewed_items
        {% else %}
            cast(null as varchar) as previous_model_run_id,
            cast(null as double) as validation_accuracy_change,
            cast(null as double) as validation_macro_f1_change,
            cast(null as bigint) as n_new_reviewed_items
        {% endif %}
    from current_run
    {% if is_incremental() %}
        left join previous_run
            on true
    {% endif %}

)

select * from final
