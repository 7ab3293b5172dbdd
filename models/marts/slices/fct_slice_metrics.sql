{#- One row per slice and split of this build: int_slices_tested with Benjamini-Hochberg
    q-values over every tested slice of the split, and whether the slice is failing. -#}
with

tested as (

    select * from {{ ref('int_slices_tested') }}

),

ranked as (

    select
        split,
        slice_id,
        p_value,
        row_number() over (partition by split order by p_value asc, slice_id asc) as p_value_rank,
        count(*) over (partition by split) as n_tests
    from tested
    where p_value is not null

),

adjusted as (

    {#- q_(i) = min over j >= i of p_(j) * m / j, capped at 1: monotone in p; m / j >= 1 is
        divided first, so rounding never puts q below p -#}
    select
        split,
        slice_id,
        least(
            1.0,
            min(p_value * (cast(n_tests as double) / p_value_rank)) over (
                partition by split order by p_value_rank desc rows between unbounded preceding and current row
            )
        ) as q_value
    from ranked

),

compared as (

    select
        tested.*,
        adjusted.q_value,
        {#- a conjunction counts only when it is worse than each parent beyond noise: its whole
            Wilson interval lies above every parent's error rate -#}
        coalesce(tested.n_predicates = 1 or tested.wilson_lower > tested.max_parent_error_rate, false)
            as is_worse_than_parents
    from tested
    left join adjusted
        on
            tested.split = adjusted.split
            and tested.slice_id = adjusted.slice_id

),

final as (

    select
        split,
        slice_id,
        slice_name,
        slice_predicate,
        n_predicates,
        n_items,
        n_errors,
        error_rate,
        wilson_lower,
        wilson_upper,
        recall_by_label,
        mean_label_agreement,
        n_label_issues,
        cast(n_label_issues as double) / n_items as label_issue_rate,
        n_rest_items,
        n_rest_errors,
        rest_error_rate,
        error_rate_difference,
        excess_errors,
        z_score,
        p_value,
        q_value,
        max_parent_error_rate,
        is_worse_than_parents,
        coalesce(
            q_value < {{ var('fdr_q') }}
            and error_rate_difference >= {{ var('min_slice_effect') }}
            and is_worse_than_parents,
            false
        ) as is_failing,
        '{{ current_build_id() }}' as build_id
    from compared

)

select * from final
