{#- The predicted probabilities of the items confident learning judges (long format). -#}
with

candidates as (

    select item_id from {{ ref('int_label_issue_candidates') }}

),

probabilities as (

    select * from {{ ref('fct_prediction_probabilities') }}

),

final as (

    select
        probabilities.item_id,
        probabilities.label,
        probabilities.probability
    from probabilities
    inner join candidates
        on probabilities.item_id = candidates.item_id

)

select * from final
