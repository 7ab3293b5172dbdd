{#- One row per slice and split (int_slices_counted): its error rate with a Wilson 95% score
    interval, the rest of the split (the complement) and a one-sided two-proportion z-test
    of "the slice has a higher error rate than the rest" with the pooled standard error. -#}
with

counted as (

    select * from {{ ref('int_slices_counted') }}

),

rates as (

    select
        *,
        cast(n_errors as double) / n_items as error_rate,
        {{ wilson_bound('n_errors', 'n_items', 'lower') }} as wilson_lower,
        {{ wilson_bound('n_errors', 'n_items', 'upper') }} as wilson_upper,
        n_split_items - n_items as n_rest_items,
        n_split_errors - n_errors as n_rest_errors,
        cast(n_split_errors as double) / n_split_items as pooled_error_rate
    from counted

),

differences as (

    select
        *,
        cast(n_rest_errors as double) / nullif(n_rest_items, 0) as rest_error_rate,
        error_rate - cast(n_rest_errors as double) / nullif(n_rest_items, 0) as error_rate_difference,
        sqrt(pooled_error_rate * (1 - pooled_error_rate) * (1 / cast(n_items as double) + 1 / cast(nullif(n_rest_items, 0) as double)))
            as standard_error
    from rates

),

z_scores as (

    select
        *,
        n_items * error_rate_difference as excess_errors,
        error_rate_difference / nullif(standard_error, 0) as z_score
    from differences

),

final as (

    select
        split,
        slice_id,
        slice_name,
        slice_predicate,
        n_predicates,
        max_parent_error_rate,
        n_items,
        n_errors,
        error_rate,
        wilson_lower,
        wilson_upper,
        recall_by_label,
        mean_label_agreement,
        n_label_issues,
        n_rest_items,
        n_rest_errors,
        rest_error_rate,
        error_rate_difference,
        excess_errors,
        z_score,
        {#- no complement: nothing to test; no error variance (no errors, or only errors): no evidence -#}
        case
            when n_rest_items = 0 then null
            when z_score is null then 1.0
            else {{ normal_cdf('-z_score') }}
        end as p_value
    from z_scores

)

select * from final
