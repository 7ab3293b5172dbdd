{#- A Benjamini-Hochberg q-value is never below its p-value and never above 1; a tested slice
    (p-value not NULL) has one, an untested slice has none. -#}
with

metrics as (

    select * from {{ ref('fct_slice_metrics') }}

),

final as (

    select
        split,
        slice_id,
        p_value,
        q_value
    from metrics
    where
        (p_value is null) <> (q_value is null)
        or q_value < p_value
        or q_value > 1
        or p_value < 0

)

select * from final
