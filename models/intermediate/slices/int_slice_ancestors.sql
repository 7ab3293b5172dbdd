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

    {#- each proper, non-empty subset of a slice's conditions (in column order) and the
        depths that have all of them: condition 3 exists only at depth 3 -#}
    {%- set subsets = [[1], [2], [3], [1, 2], [1, 3], [2, 3]] %}
    {% for subset in subsets %}
        {% if not loop.first %}
            union all
        {% endif %}
        {%- set conditions = [] %}
        {%- for position in subset %}
            {%- do conditions.append('condition_' ~ position) %}
        {%- endfor %}
        select
            split,
            slice_id,
            {{ conditions | join(" || ' and ' || ") }} as ancestor_predicate
        from counted
        where n_predicates > {{ [subset | length, subset | max - 1] | max }}
    {% endfor %}

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
            and md5(ancestor_predicates.ancestor_predicate) = ancestors.slice_id

)

select * from final
