{#- Sorting the tested slices of the run (every split: one family) by p-value sorts their
    q-values too (the step-down minimum makes Benjamini-Hochberg monotone). -#}
with

metrics as (

    select * from {{ ref('fct_slice_metrics') }}
    where p_value is not null

),

ordered as (

    select
        split,
        slice_id,
        p_value,
        q_value,
        lag(q_value) over (order by p_value asc, q_value asc) as previous_q_value
    from metrics

),

final as (

    select * from ordered
    where q_value < previous_q_value

)

select * from final
