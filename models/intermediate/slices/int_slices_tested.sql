{#- One row per slice and split (int_slices_counted): its error rate with a Wilson 95% score
    interval, the rest of the split (the complement), and the one-sided Fisher exact test of
    "the slice has more errors than the rest": given the split's items and errors, how likely
    a random subset of the slice's size holds at least as many errors (the hypergeometric
    upper tail). Exact, so small slices with rare errors get no false confidence from a
    normal approximation. -#}
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

testable as (

    {#- the slices with a rest to compare with -#}
    select * from rates
    where n_rest_items > 0

),

p_values as (

    {{ hypergeometric_upper_tail(
        'testable', ['split', 'slice_id'],
        population='n_split_items', population_successes='n_split_errors',
        draws='n_items', successes='n_errors'
    ) }}

),

differences as (

    select
        rates.*,
        p_values.p_value,
        cast(rates.n_rest_errors as double) / nullif(rates.n_rest_items, 0) as rest_error_rate,
        rates.error_rate - cast(rates.n_rest_errors as double) / nullif(rates.n_rest_items, 0) as error_rate_difference,
        sqrt(
            rates.pooled_error_rate * (1 - rates.pooled_error_rate)
            * (1 / cast(rates.n_items as double) + 1 / cast(nullif(rates.n_rest_items, 0) as double))
        ) as standard_error
    from rates
    left join p_values
        on
            rates.split = p_values.split
            and rates.slice_id = p_values.slice_id

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
        n_items * error_rate_difference as excess_errors,
        error_rate_difference / nullif(standard_error, 0) as z_score,
        {#- no complement: nothing to test -#}
        p_value
    from differences

)

select * from final
