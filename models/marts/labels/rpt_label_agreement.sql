{#- One row per agreement scope and metric: Krippendorff's nominal alpha (Krippendorff 2011,
    "Computing Krippendorff's Alpha-Reliability", coincidence matrix) and Fleiss' kappa
    generalised to a varying number of annotations per item, over the annotations of
    retained items. Scopes: overall, each annotations file (batch), each label against every
    other label (dichotomised), and each value of a metadata column with few values (slice).
    A unit is an item and each annotation one of its values; only items with two or more
    annotations can be paired. When nothing can be paired, or every paired annotation has the
    same label (expected disagreement zero), the value is NULL and the reason says why. -#}
{%- set slice_keys = agreement_slice_keys(ref('int_items_retained')) -%}

with

evidence as (

    select * from {{ ref('int_label_evidence') }}

),

items as (

    select * from {{ ref('int_items_retained') }}

),

annotations as (

    select
        item_id,
        annotator_id,
        label,
        source_file
    from evidence
    where evidence_kind = 'annotation'

),

annotated_labels as (

    select distinct label from annotations

),

metrics as (

    select 'krippendorff_alpha' as metric
    union all
    select 'fleiss_kappa' as metric

),

item_metadata_values as (

    {#- one row per item and metadata key: the candidate slices, personal keys left out -#}
    {%- if slice_keys %}
        {%- for key in slice_keys %}
            {{ 'union all' if not loop.first }}
            select
                item_id,
                '{{ key | replace("'", "''") }}' as scope_column,
                {{ blank_to_null("metadata ->> '" ~ key | replace("'", "''") ~ "'") }} as scope_value
            from items
        {%- endfor %}
    {%- else %}
        select
            item_id,
            cast(null as varchar) as scope_column,
            cast(null as varchar) as scope_value
        from items
        where 1 = 0
    {%- endif %}

),

slice_columns as (

    select scope_column
    from item_metadata_values
    where scope_value is not null
    group by scope_column
    having count(distinct scope_value) <= {{ var('agreement_max_slice_values') }}

),

item_slices as (

    select
        item_metadata_values.item_id,
        item_metadata_values.scope_column,
        item_metadata_values.scope_value
    from item_metadata_values
    inner join slice_columns
        on item_metadata_values.scope_column = slice_columns.scope_column
    where item_metadata_values.scope_value is not null

),

scoped_annotations as (

    {#- Each annotation once per scope it belongs to, with the category the scope compares.
        Inside this model overall has empty scope_column and scope_value, so every join key
        is non-null; final turns them into NULL. -#}
    select
        'overall' as scope,
        '' as scope_column,
        '' as scope_value,
        item_id,
        annotator_id,
        label as category
    from annotations

    union all

    select
        'batch' as scope,
        'source_file' as scope_column,
        source_file as scope_value,
        item_id,
        annotator_id,
        label as category
    from annotations

    union all

    {#- dichotomised: this label against any other #}
    select
        'label' as scope,
        'label' as scope_column,
        annotated_labels.label as scope_value,
        annotations.item_id,
        annotations.annotator_id,
        case when annotations.label = annotated_labels.label then 'this label' else 'other label' end as category
    from annotations
    cross join annotated_labels

    union all

    select
        'slice' as scope,
        item_slices.scope_column,
        item_slices.scope_value,
        annotations.item_id,
        annotations.annotator_id,
        annotations.label as category
    from annotations
    inner join item_slices
        on annotations.item_id = item_slices.item_id

),

scopes as (

    select
        scope,
        scope_column,
        scope_value,
        count(distinct case when annotator_id <> '(anonymous)' then annotator_id end) as n_annotators
    from scoped_annotations
    group by scope, scope_column, scope_value

    union all

    {#- overall is reported even when nothing is annotated #}
    select
        'overall' as scope,
        '' as scope_column,
        '' as scope_value,
        0 as n_annotators
    where not exists (select 1 from annotations)

),

unit_categories as (

    {#- n_uc: the values of category c in unit u, next to m_u: all values of unit u -#}
    select
        scope,
        scope_column,
        scope_value,
        item_id,
        category,
        count(*) as n_values,
        sum(count(*)) over (partition by scope, scope_column, scope_value, item_id) as n_unit_values
    from scoped_annotations
    group by scope, scope_column, scope_value, item_id, category

),

pairable_unit_categories as (

    select * from unit_categories
    where n_unit_values >= 2

),

pairable_units as (

    {#- m_u and the sum over c of n_uc squared -#}
    select
        scope,
        scope_column,
        scope_value,
        item_id,
        max(n_unit_values) as n_unit_values,
        sum(n_values * n_values) as sum_squared_values
    from pairable_unit_categories
    group by scope, scope_column, scope_value, item_id

),

unit_sums as (

    {#- observed disagreement Do' (Krippendorff) and the mean item agreement P-bar (Fleiss) -#}
    select
        scope,
        scope_column,
        scope_value,
        count(*) as n_items,
        sum(n_unit_values) as n_values,
        {#- sums of fractions in item order: the same rows always give the same double -#}
        sum(
            cast(n_unit_values * n_unit_values - sum_squared_values as double)
            / nullif(n_unit_values - 1, 0)
            order by item_id
        ) as observed_disagreement,
        avg(
            cast(sum_squared_values - n_unit_values as double)
            / nullif(n_unit_values * (n_unit_values - 1), 0)
            order by item_id
        ) as mean_item_agreement
    from pairable_units
    group by scope, scope_column, scope_value

),

category_totals as (

    {#- n_c: the values of category c over every pairable unit -#}
    select
        scope,
        scope_column,
        scope_value,
        category,
        sum(n_values) as n_category_values
    from pairable_unit_categories
    group by scope, scope_column, scope_value, category

),

category_sums as (

    select
        scope,
        scope_column,
        scope_value,
        count(*) as n_labels,
        sum(n_category_values * n_category_values) as sum_squared_category_values
    from category_totals
    group by scope, scope_column, scope_value

),

scope_sums as (

    select
        scopes.scope,
        scopes.scope_column,
        scopes.scope_value,
        scopes.n_annotators,
        coalesce(unit_sums.n_items, 0) as n_items,
        coalesce(unit_sums.n_values, 0) as n_annotations,
        coalesce(category_sums.n_labels, 0) as n_labels,
        unit_sums.observed_disagreement,
        unit_sums.mean_item_agreement,
        {#- n squared minus the sum of n_c squared: zero when every value has one label -#}
        unit_sums.n_values * unit_sums.n_values - category_sums.sum_squared_category_values as expected_disagreement_numerator,
        category_sums.sum_squared_category_values
    from scopes
    left join unit_sums
        on
            scopes.scope = unit_sums.scope
            and scopes.scope_column = unit_sums.scope_column
            and scopes.scope_value = unit_sums.scope_value
    left join category_sums
        on
            scopes.scope = category_sums.scope
            and scopes.scope_column = category_sums.scope_column
            and scopes.scope_value = category_sums.scope_value

),

scope_statistics as (

    select
        *,
        case
            when n_items = 0 then 'no item has two or more annotations'
            when expected_disagreement_numerator = 0 then 'every annotation has the same label'
        end as not_applicable_reason,
        {#- De' = (n^2 - sum of n_c^2) / (n - 1) -#}
        cast(expected_disagreement_numerator as double) / nullif(n_annotations - 1, 0) as expected_disagreement,
        {#- P_e = sum of p_j^2 with p_j = n_c / n -#}
        cast(sum_squared_category_values as double) / nullif(cast(n_annotations as double) * n_annotations, 0) as chance_agreement
    from scope_sums

),

final as (

    select
        scope_statistics.scope,
        case when scope_statistics.scope <> 'overall' then scope_statistics.scope_column end as scope_column,
        case when scope_statistics.scope <> 'overall' then scope_statistics.scope_value end as scope_value,
        metrics.metric,
        cast(
            case
                when scope_statistics.not_applicable_reason is not null then null
                when metrics.metric = 'krippendorff_alpha'
                    then 1 - scope_statistics.observed_disagreement / nullif(scope_statistics.expected_disagreement, 0)
                else
                    (scope_statistics.mean_item_agreement - scope_statistics.chance_agreement)
                    / nullif(1 - scope_statistics.chance_agreement, 0)
            end as double
        ) as value,
        cast(scope_statistics.n_items as bigint) as n_items,
        cast(scope_statistics.n_annotations as bigint) as n_annotations,
        cast(scope_statistics.n_annotators as bigint) as n_annotators,
        cast(scope_statistics.n_labels as bigint) as n_labels,
        scope_statistics.not_applicable_reason,
        '{{ current_build_id() }}' as build_id
    from scope_statistics
    cross join metrics

)

select * from final
