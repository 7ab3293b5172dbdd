{#- One row per slice and each of its ancestors in the same split: the slices whose
    conditions are a proper, non-empty subset of its own (the two parents of a 2-way slice;
    three parents and three grandparents of a 3-way one). Ancestors that were not counted
    (too small, or the same items as a simpler slice) have no row. -#}
with

counted as (

    select
        split,
        slice_id,
        n_predicates,
        condition_1,
        condition_2,
        condition_3
    from {{ ref('int_slices_counted') }}

),

ancestor_predicates as (

    select
        split,
        slice_id,
        condition_1 as ancestor_predicate
    from counted
    where n_predicates >= 2

    union all

    select
        split,
        slice_id,
        condition_2 as ancestor_predicate
    from counted
    where n_predicates >= 2

    union all

    select
        split,
        slice_id,
        condition_3 as ancestor_predicate
    from counted
    where n_predicates = 3

    union all

    select
        split,
        slice_id,
        condition_1 || ' and ' || condition_2 as ancestor_predicate
    from counted
    where n_predicates = 3

    union all

    select
        split,
        slice_id,
        condition_1 || ' and ' || condition_3 as ancestor_predicate
    from counted
    where n_predicates = 3

    union all

    select
        split,
        slice_id,
        condition_2 || ' and ' || condition_3 as ancestor_predicate
    from counted
    where n_predicates = 3

),

final as (

    select
        ancestor_predicates.split,
        ancestor_predicates.slice_id,
        ancestors.slice_id as ancestor_slice_id,
        ancestors.n_predicates as ancestor_n_predicates
    from ancestor_predicates
    inner join counted as ancestors
        on
            ancestor_predicates.split = ancestors.split
            and {{ dbt.hash('ancestor_predicates.ancestor_predicate') }} = ancestors.slice_id

)

select * from final
