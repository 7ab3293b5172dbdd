{#- One row per item whose consensus label confident learning flags as likely wrong, with the
    label the model suggests, ranked (var label_issue_estimator, var label_issue_rank_by). -#}
with

verdicts as (

    select * from (
        {{ label_issues(
            ref('int_label_issue_probabilities'),
            ref('int_label_issue_candidates'),
            estimator=var('label_issue_estimator'),
            rank_by=var('label_issue_rank_by'),
        ) | indent(8) }}
    ) as label_issues

),

predictions as (

    select
        item_id,
        model_run_id,
        split,
        is_out_of_fold
    from {{ ref('fct_predictions') }}

),

final as (

    select
        predictions.model_run_id,
        verdicts.item_id,
        predictions.split,
        verdicts.given_label,
        verdicts.suggested_label,
        verdicts.self_confidence,
        verdicts.normalized_margin,
        verdicts.quality_score,
        verdicts.issue_rank,
        verdicts.estimator,
        predictions.is_out_of_fold
    from verdicts
    inner join predictions
        on verdicts.item_id = predictions.item_id
    where verdicts.is_label_issue

)

select * from final
