{#- One row per labelled, trainable item that the model scored out of sample, with the
    consensus label it was trained on: the items confident learning judges. -#}
with

predictions as (

    select * from {{ ref('fct_predictions') }}

),

final as (

    select
        item_id,
        given_label
    from predictions
    where
        given_label is not null
        and is_trainable
        and self_confidence is not null

)

select * from final
