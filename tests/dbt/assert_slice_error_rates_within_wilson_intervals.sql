{#- 0 <= wilson_lower <= error_rate <= wilson_upper <= 1 for every slice (NaN or NULL fails too),
    in this build's metrics and in the history. -#}
with

metrics as (

    select * from {{ ref('fct_slice_metrics') }}

),

history as (

    select * from {{ ref('fct_slice_metrics_history') }}

),

final as (

    select
        'fct_slice_metrics' as model_name,
        split,
        slice_id,
        wilson_lower,
        error_rate,
        wilson_upper
    from metrics
    where not coalesce(0 <= wilson_lower and wilson_lower <= error_rate and error_rate <= wilson_upper and wilson_upper <= 1, false)

    union all

    select
        'fct_slice_metrics_history' as model_name,
        split,
        slice_id,
        wilson_lower,
        error_rate,
        wilson_upper
    from history
    where not coalesce(0 <= wilson_lower and wilson_lower <= error_rate and error_rate <= wilson_upper and wilson_upper <= 1, false)

)

select * from final
