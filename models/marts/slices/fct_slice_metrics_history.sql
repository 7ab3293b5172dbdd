{#- history: one append per build; columns added later (label_issue_rate) are appended -#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='append_new_columns') }}

{#- One row per build, slice and split: fct_slice_metrics as it was, for trends. -#}
with

metrics as (

    select * from {{ ref('fct_slice_metrics') }}

),

final as (

    select
        md5(build_id || ':' || split || ':' || slice_id) as slice_history_id,
        build_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as recorded_at,
        split,
        slice_id,
        slice_name,
        n_predicates,
        n_items,
        n_errors,
        error_rate,
        label_issue_rate,
        wilson_lower,
        wilson_upper,
        rest_error_rate,
        error_rate_difference,
        p_value,
        q_value,
        is_failing
    from metrics

)

select * from final
{% if is_incremental() %}
    where build_id not in (select build_id from {{ this }})
{% endif %}
