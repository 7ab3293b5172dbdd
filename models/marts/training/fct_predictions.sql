{#- One row per scored item of this build's model run: the predicted label and how sure the
    model is, against the label it was trained on. -#}
with

probabilities as (

    select
        model_run_id,
        item_id,
        label,
        is_out_of_fold,
        {#- renormalised: rows that sum to slightly more than 1 are scaled back -#}
        
        probability / sum(probability) over (
            partition by item_id order by label rows between unbounded preceding and unbounded following
        ) as probability
    from {{ ref('fct_prediction_probabilities') }}

),

items as (

    select
        item_id,
        split,
        label as given_label,
        is_trainable
    from {{ ref('dim_items') }}

),

ranked as (

    select
        *,
        row_number() over (partition by item_id order by probability desc, label asc) as probability_rank
    from probabilities

),

per_item as (

    select
        ranked.item_id,
        max(ranked.model_run_id) as model_run_id,
        bool_and(ranked.is_out_of_fold) as is_out_of_fold,
        max(case when ranked.probability_rank = 1 then ranked.label end) as predicted_label,
        max(case when ranked.probability_rank = 1 then ranked.probability end) as predicted_probability,
        max(case when ranked.probability_rank = 2 then ranked.probability end) as second_probability,
        max(case when ranked.label = items.given_label then ranked.probability end) as self_confidence,
        max(case when ranked.label <> items.given_label then ranked.probability end) as best_other_probability,
        -sum(case when ranked.probability > 0 then ranked.probability * ln(ranked.probability) else 0 end order by ranked.label) as entropy,
        count(*) as n_classes
    from ranked
    inner join items
        on ranked.item_id = items.item_id
    group by ranked.item_id

),

final as (

    select
        per_item.model_run_id,
        per_item.item_id,
        items.split,
        items.given_label,
        items.is_trainable,
        per_item.predicted_label,
        per_item.predicted_probability,
        per_item.self_confidence,
        per_item.entropy,
        per_item.is_out_of_fold,
        per_item.self_confidence - per_item.best_other_probability as normalized_margin,
        per_item.predicted_probability - coalesce(per_item.second_probability, 0) as margin,
        1 - per_item.predicted_probability as least_confidence,
        per_item.entropy / nullif(ln(per_item.n_classes), 0) as normalized_entropy,
        per_item.predicted_label = items.given_label as is_correct
    from per_item
    inner join items
        on per_item.item_id = items.item_id

)

select * from final
