{{ config(materialized='table') }}  {#- the expensive step: int_slices_tested and the tests read it -#}

{#- One row per slice and split: a conjunction of up to var slice_max_depth (column = value)
    predicates of int_item_slice_values holding at least var min_slice_size evaluated items
    of the split (labelled, trainable, scored), with its errors. Conjunctions are counted by
    joining each item's values with themselves (columns in name order), the portable form of
    one grouping set per combination of columns, pruned a priori: only values that reach the
    minimum support alone are combined. Conjunctions holding exactly the same items of the
    split (a child equal to a parent, columns that always agree) are kept once. -#}
{%- set max_depth = var('slice_max_depth') | int -%}
{%- if max_depth not in [1, 2, 3] -%}
    {{ exceptions.raise_compiler_error("var slice_max_depth must be 1, 2 or 3, not " ~ var('slice_max_depth')) }}
{%- endif -%}
{%- set min_size = var('min_slice_size') | int -%}

with

slice_values as (

    select * from {{ ref('int_item_slice_values') }}

),

predictions as (

    select * from {{ ref('fct_predictions') }}

),

labels as (

    select * from {{ ref('fct_item_labels') }}

),

label_issues as (

    select item_id from {{ ref('fct_label_issues') }}

),

evaluated_items as (

    {#- train and validation are scored out of fold, test by the final model (fct_predictions) -#}
    select
        predictions.item_id,
        predictions.split,
        predictions.given_label,
        labels.label_agreement,
        predictions.predicted_label <> predictions.given_label as is_error,
        label_issues.item_id is not null as is_label_issue,
        {#- 60 bits of the item's md5: XORed over a slice's items, its item-set fingerprint -#}
        {{ hex_to_int('substr(md5(predictions.item_id), 1, 15)') }} as item_key
    from predictions
    left join labels
        on predictions.item_id = labels.item_id
    left join label_issues
        on predictions.item_id = label_issues.item_id
    where predictions.is_trainable and predictions.given_label is not null

),

split_totals as (

    select
        split,
        count(*) as n_split_items,
        count(case when is_error then 1 end) as n_split_errors
    from evaluated_items
    group by split

),

evaluated_values as (

    select
        evaluated_items.*,
        slice_values.slice_column,
        slice_values.slice_value
    from evaluated_items
    inner join slice_values
        on evaluated_items.item_id = slice_values.item_id

),

supported_values as (

    select
        split,
        slice_column,
        slice_value
    from evaluated_values
    group by split, slice_column, slice_value
    having count(*) >= {{ min_size }}

),

frequent_values as (

    select evaluated_values.*
    from evaluated_values
    inner join supported_values
        on
            evaluated_values.split = supported_values.split
            and evaluated_values.slice_column = supported_values.slice_column
            and evaluated_values.slice_value = supported_values.slice_value

),

conjunction_items as (

    {#- depth d joins d copies of the item's values, columns in strictly increasing name order -#}
    {% for depth in range(1, max_depth + 1) %}
        {% if not loop.first %}
            union all
        {% endif %}
        select
            values_1.split,
            values_1.item_id,
            values_1.given_label,
            values_1.is_error,
            values_1.is_label_issue,
            values_1.label_agreement,
            values_1.item_key,
            {% for position in range(1, 4) %}
                {% if position <= depth %}
                    values_{{ position }}.slice_column as column_{{ position }},
                    values_{{ position }}.slice_value as value_{{ position }},
                {% else %}
                    cast(null as varchar) as column_{{ position }},
                    cast(null as varchar) as value_{{ position }},
                {% endif %}
            {% endfor %}
            {{ depth }} as n_predicates
        from frequent_values as values_1
        {% for position in range(2, depth + 1) %}
            inner join frequent_values as values_{{ position }}
                on
                    values_{{ position - 1 }}.item_id = values_{{ position }}.item_id
                    and values_{{ position - 1 }}.slice_column < values_{{ position }}.slice_column
        {% endfor %}
    {% endfor %}

),

label_counts as (

    select
        split,
        n_predicates,
        column_1,
        value_1,
        column_2,
        value_2,
        column_3,
        value_3,
        given_label,
        count(*) as n_items,
        count(case when is_error then 1 end) as n_errors,
        count(case when is_label_issue then 1 end) as n_label_issues,
        {#- a decimal sum is exact, so the result does not depend on the order rows arrive in -#}
        sum(cast(label_agreement as decimal(38, 18))) as sum_label_agreement,
        count(label_agreement) as n_agreement_items,
        bit_xor(item_key) as item_set_hash
    from conjunction_items
    group by split, n_predicates, column_1, value_1, column_2, value_2, column_3, value_3, given_label

),

slice_counts as (

    select
        split,
        n_predicates,
        column_1,
        value_1,
        column_2,
        value_2,
        column_3,
        value_3,
        sum(n_items) as n_items,
        sum(n_errors) as n_errors,
        sum(n_label_issues) as n_label_issues,
        {#- recall of each given label inside the slice: its items predicted right -#}
        {{ sorted_json_object("given_label", "1 - cast(n_errors as double) / n_items") }} as recall_by_label,
        cast(sum(sum_label_agreement) as double) / nullif(sum(n_agreement_items), 0) as mean_label_agreement,
        bit_xor(item_set_hash) as item_set_hash
    from label_counts
    group by split, n_predicates, column_1, value_1, column_2, value_2, column_3, value_3
    having sum(n_items) >= {{ min_size }}

),

value_conditions as (

    select distinct
        slice_column,
        slice_value,
        slice_condition
    from slice_values

),

named_slices as (

    select
        slice_counts.*,
        first_conditions.slice_condition as condition_1,
        second_conditions.slice_condition as condition_2,
        third_conditions.slice_condition as condition_3,
        slice_counts.column_1 || ' = ' || slice_counts.value_1
        || coalesce(' AND ' || slice_counts.column_2 || ' = ' || slice_counts.value_2, '')
        || coalesce(' AND ' || slice_counts.column_3 || ' = ' || slice_counts.value_3, '') as slice_name,
        first_conditions.slice_condition
        || coalesce(' and ' || second_conditions.slice_condition, '')
        || coalesce(' and ' || third_conditions.slice_condition, '') as slice_predicate
    from slice_counts
    inner join value_conditions as first_conditions
        on
            slice_counts.column_1 = first_conditions.slice_column
            and slice_counts.value_1 = first_conditions.slice_value
    left join value_conditions as second_conditions
        on
            slice_counts.column_2 = second_conditions.slice_column
            and slice_counts.value_2 = second_conditions.slice_value
    left join value_conditions as third_conditions
        on
            slice_counts.column_3 = third_conditions.slice_column
            and slice_counts.value_3 = third_conditions.slice_value

),

keyed_slices as (

    {#- a slice is the md5 of its predicate (conditions in column order), the same in every
        split and build; its parents drop one condition each -#}
    select
        *,
        md5(slice_predicate) as slice_id,
        case n_predicates
            when 2 then md5(condition_1)
            when 3 then md5(condition_1 || ' and ' || condition_2)
        end as parent_slice_id_1,
        case n_predicates
            when 2 then md5(condition_2)
            when 3 then md5(condition_1 || ' and ' || condition_3)
        end as parent_slice_id_2,
        case n_predicates
            when 3 then md5(condition_2 || ' and ' || condition_3)
        end as parent_slice_id_3
    from named_slices

),

parent_links as (

    select
        split,
        slice_id,
        parent_slice_id_1 as parent_slice_id
    from keyed_slices
    where parent_slice_id_1 is not null

    union all

    select
        split,
        slice_id,
        parent_slice_id_2 as parent_slice_id
    from keyed_slices
    where parent_slice_id_2 is not null

    union all

    select
        split,
        slice_id,
        parent_slice_id_3 as parent_slice_id
    from keyed_slices
    where parent_slice_id_3 is not null

),

parent_error_rates as (

    {#- every parent holds at least the child's items, so it was counted -#}
    select
        parent_links.split,
        parent_links.slice_id,
        max(cast(parents.n_errors as double) / parents.n_items) as max_parent_error_rate
    from parent_links
    inner join keyed_slices as parents
        on
            parent_links.split = parents.split
            and parent_links.parent_slice_id = parents.slice_id
    group by parent_links.split, parent_links.slice_id

),

distinct_slices as (

    {#- conjunctions holding the same items (a child equal to its parent, two columns that
        always agree) are one slice: the one with the fewest predicates, then by name -#}
    select *
    from (
        select
            keyed_slices.*,
            parent_error_rates.max_parent_error_rate,
            row_number() over (
                partition by keyed_slices.split, keyed_slices.n_items, keyed_slices.item_set_hash
                order by keyed_slices.n_predicates asc, keyed_slices.slice_name asc
            ) as item_set_rank
        from keyed_slices
        left join parent_error_rates
            on
                keyed_slices.split = parent_error_rates.split
                and keyed_slices.slice_id = parent_error_rates.slice_id
    ) as ranked_slices
    where item_set_rank = 1

),

final as (

    select
        distinct_slices.split,
        distinct_slices.slice_id,
        distinct_slices.slice_name,
        distinct_slices.slice_predicate,
        distinct_slices.n_predicates,
        distinct_slices.condition_1,
        distinct_slices.condition_2,
        distinct_slices.condition_3,
        cast(distinct_slices.n_items as bigint) as n_items,
        cast(distinct_slices.n_errors as bigint) as n_errors,
        cast(distinct_slices.n_label_issues as bigint) as n_label_issues,
        split_totals.n_split_items,
        split_totals.n_split_errors,
        distinct_slices.max_parent_error_rate,
        distinct_slices.recall_by_label,
        distinct_slices.mean_label_agreement
    from distinct_slices
    inner join split_totals
        on distinct_slices.split = split_totals.split

)

select * from final
