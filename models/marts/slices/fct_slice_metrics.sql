{#- One row per slice and split of this build: int_slices_tested with Benjamini-Hochberg
    q-values over every tested slice of the run (all splits and depths, one family), and
    whether the slice is failing: significant, practically worse, worse than its parents
    beyond noise, and not explained by a failing sub-slice. -#}
with

tested as (

    select * from {{ ref('int_slices_tested') }}

),

ancestors as (

    select * from {{ ref('int_slice_ancestors') }}

),

ranked as (

    select
        split,
        slice_id,
        p_value,
        row_number() over (order by p_value asc, split asc, slice_id asc) as p_value_rank,
        count(*) over () as n_tests
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
                order by p_value_rank desc rows between unbounded preceding and current row
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
            as is_worse_than_parents,
        coalesce(
            adjusted.q_value < {{ var('fdr_q') }}
            and tested.error_rate_difference >= {{ var('min_slice_effect') }},
            false
        ) as is_significant
    from tested
    left join adjusted
        on
            tested.split = adjusted.split
            and tested.slice_id = adjusted.slice_id

),

candidates as (

    select * from compared
    where is_significant and is_worse_than_parents

),

remainders as (

    {#- each candidate and a candidate sub-slice of it: the candidate's items outside the
        sub-slice (the remainder), drawn from the split without the sub-slice -#}
    select
        slices.split,
        slices.slice_id,
        sub_slices.slice_id as sub_slice_id,
        sub_slices.slice_name as sub_slice_name,
        sub_slices.excess_errors as sub_slice_excess_errors,
        slices.rest_error_rate,
        slices.n_items + slices.n_rest_items - sub_slices.n_items as n_population_items,
        slices.n_errors + slices.n_rest_errors - sub_slices.n_errors as n_population_errors,
        slices.n_items - sub_slices.n_items as n_remainder_items,
        slices.n_errors - sub_slices.n_errors as n_remainder_errors
    from ancestors
    inner join candidates as slices
        on
            ancestors.split = slices.split
            and ancestors.ancestor_slice_id = slices.slice_id
    inner join candidates as sub_slices
        on
            ancestors.split = sub_slices.split
            and ancestors.slice_id = sub_slices.slice_id

),

testable_remainders as (

    select * from remainders
    where n_remainder_items > 0

),

remainder_p_values as (

    {{ hypergeometric_upper_tail(
        'testable_remainders', ['split', 'slice_id', 'sub_slice_id'],
        population='n_population_items', population_successes='n_population_errors',
        draws='n_remainder_items', successes='n_remainder_errors'
    ) }}

),

explanations as (

    {#- a candidate is explained by a candidate sub-slice when its remainder would not count
        as failing itself: not worse than the rest of the split (outside the candidate) at
        level var fdr_q by the exact test, or by less than var min_slice_effect. Its errors
        are then the sub-slice's, which is reported instead. -#}
    select
        remainders.split,
        remainders.slice_id,
        remainders.sub_slice_id as explained_by_slice_id,
        remainders.sub_slice_name as explained_by_slice_name,
        row_number() over (
            partition by remainders.split, remainders.slice_id
            order by remainders.sub_slice_excess_errors desc, remainders.sub_slice_id asc
        ) as explanation_rank
    from remainders
    left join remainder_p_values
        on
            remainders.split = remainder_p_values.split
            and remainders.slice_id = remainder_p_values.slice_id
            and remainders.sub_slice_id = remainder_p_values.sub_slice_id
    where
        remainders.n_remainder_items = 0
        or remainder_p_values.p_value >= {{ var('fdr_q') }}
        or cast(remainders.n_remainder_errors as double) / remainders.n_remainder_items - remainders.rest_error_rate
        < {{ var('min_slice_effect') }}

),

final as (

    select
        compared.split,
        compared.slice_id,
        compared.slice_name,
        compared.slice_predicate,
        compared.n_predicates,
        compared.n_items,
        compared.n_errors,
        compared.error_rate,
        compared.wilson_lower,
        compared.wilson_upper,
        compared.recall_by_label,
        compared.mean_label_agreement,
        compared.n_label_issues,
        cast(compared.n_label_issues as double) / compared.n_items as label_issue_rate,
        compared.n_rest_items,
        compared.n_rest_errors,
        compared.rest_error_rate,
        compared.error_rate_difference,
        compared.excess_errors,
        compared.z_score,
        compared.p_value,
        compared.q_value,
        compared.max_parent_error_rate,
        compared.is_significant,
        compared.is_worse_than_parents,
        explanations.explained_by_slice_id,
        explanations.explained_by_slice_name,
        compared.is_significant and compared.is_worse_than_parents and explanations.slice_id is null
            as is_failing,
        '{{ current_build_id() }}' as build_id
    from compared
    left join explanations
        on
            compared.split = explanations.split
            and compared.slice_id = explanations.slice_id
            and explanations.explanation_rank = 1

)

select * from final
