{#- Label leaks: one row per single-column slice (column = value, missingness included)
    whose label is almost always the same while that label is not the norm elsewhere. A
    metadata value that predicts the label is a data problem (collection or labelling
    shortcut), not a model success. Label-derived columns are not candidates. -#}
with

slice_values as (

    select * from {{ ref('int_item_slice_values') }}
    where slice_column not in ('label', 'label_method', 'is_label_contested')

),

items as (

    select
        item_id,
        label
    from {{ ref('dim_items') }}
    where label is not null

),

label_totals as (

    select
        label,
        count(*) as n_label_items,
        cast(count(*) as double) / sum(count(*)) over () as base_rate
    from items
    group by label

),

value_labels as (

    select
        slice_values.slice_column,
        slice_values.slice_value,
        slice_values.slice_condition,
        items.label,
        count(*) as n_items
    from slice_values
    inner join items
        on slice_values.item_id = items.item_id
    group by slice_values.slice_column, slice_values.slice_value, slice_values.slice_condition, items.label

),

value_totals as (

    select
        *,
        sum(n_items) over (partition by slice_column, slice_value) as n_slice_items,
        row_number() over (partition by slice_column, slice_value order by n_items desc, label asc) as label_rank
    from value_labels

),

scored as (

    select
        value_totals.slice_column,
        value_totals.slice_value,
        value_totals.slice_condition as slice_predicate,
        value_totals.label as top_label,
        cast(value_totals.n_slice_items as bigint) as n_items,
        value_totals.n_items as n_top_label_items,
        cast(value_totals.n_items as double) / value_totals.n_slice_items as purity,
        {{ wilson_bound('value_totals.n_items', 'value_totals.n_slice_items', 'lower') }} as purity_lower,
        label_totals.base_rate
    from value_totals
    inner join label_totals
        on value_totals.label = label_totals.label
    where value_totals.label_rank = 1 and value_totals.n_slice_items >= {{ var('min_slice_size') }}

),

final as (

    select
        slice_column,
        slice_value,
        slice_column || ' = ' || slice_value as slice_name,
        slice_predicate,
        top_label,
        n_items,
        n_top_label_items,
        purity,
        purity_lower,
        base_rate,
        purity / base_rate as lift,
        row_number() over (order by purity_lower desc, n_items desc, slice_column asc, slice_value asc) as leak_rank,
        '{{ current_build_id() }}' as build_id
    from scored
    where purity_lower >= {{ var('label_leak_min_purity') }} and base_rate < {{ var('label_leak_min_purity') }}

)

select * from final
