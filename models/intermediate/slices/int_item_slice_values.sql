{{ config(materialized='table') }}  {#- the conjunction counts join it with itself, and its tests read it -#}

{#- One row per retained item and slice column: the item's value of the column (its bin for a
    number, '(other)' past the column's top values, '(missing)' for an empty metadata value)
    and the SQL condition that selects that value from dim_items. The candidate columns are
    the item metadata columns (slice_metadata_columns) and derived ones; which of them are
    sliced, and how, is decided here from the data (see _slices__models.yml). -#}
{%- set top_k = var('slice_top_k') | int -%}
{%- set n_bins = var('slice_numeric_bins') | int -%}
{%- set named = var('slice_columns') | map('lower') | list -%}
{%- set url_pattern = "https?://|www\\." -%}
{%- set derived = [
    {'name': 'text_length', 'kind': 'number', 'expression': 'length(text)'},
    {'name': 'has_url', 'kind': 'flag', 'expression': "regexp_matches(text, '" ~ url_pattern ~ "')"},
    {'name': 'has_redacted_pii', 'kind': 'flag', 'expression': 'has_pii'},
    {'name': 'label', 'kind': 'category', 'expression': 'label'},
    {'name': 'label_method', 'kind': 'category', 'expression': 'label_method'},
    {'name': 'is_label_contested', 'kind': 'flag', 'expression': 'is_label_contested'},
    {
        'name': 'annotator',
        'kind': 'category',
        'expression': '(select labels.last_annotator_id from fct_item_labels as labels'
            ~ ' where labels.item_id = dim_items.item_id and labels.n_annotators = 1)',
        'value_expression': 'slice_single_annotator_id',
    },
    {'name': 'batch', 'kind': 'category', 'expression': 'source_file'},
    {'name': 'cluster_size', 'kind': 'number', 'expression': 'cluster_size', 'boundaries': [1, 2, 3, 6, 11]},
] -%}
{%- set candidates = [] -%}
{%- for column in derived -%}
    {%- if not named or column.name in named -%}
    {%- do candidates.append({
        'name': column.name,
        'kind': column.kind,
        'expression': column.expression,
        'number_expression': column.expression if column.kind == 'number' else none,
        'value_expression': column.get('value_expression', column.expression),
        'boundaries': column.get('boundaries', []),
        'keeps_missing': false,
    }) -%}
    {%- endif -%}
{%- endfor -%}
{%- set derived_names = candidates | map(attribute='name') | list -%}
{%- for column in slice_metadata_columns(ref('dim_items')) -%}
    {#- values come from the metadata JSON as dim_items expands it (metadata_columns), so the
        model never depends on which metadata columns dim_items has; conditions name the column -#}
    {%- set quoted = quote_identifier(column.relation_column) -%}
    {%- set value = blank_to_null("metadata ->> '" ~ column.key | replace("'", "''") ~ "'") -%}
    {#- a metadata column named like a derived one is sliced as metadata_<name> -#}
    {%- set name = 'metadata_' ~ column.slice_column if column.slice_column in derived_names else column.slice_column -%}
    {%- if column.is_timestamp -%}
        {%- do candidates.append({
            'name': name,
            'kind': 'category',
            'expression': "strftime(" ~ quoted ~ ", '%Y-%m')",
            'number_expression': none,
            'value_expression': "strftime(" ~ parse_timestamp(value) ~ ", '%Y-%m')",
            'boundaries': [],
            'keeps_missing': true,
        }) -%}
    {%- else -%}
        {%- do candidates.append({
            'name': name,
            'kind': 'auto',
            'expression': quoted,
            'number_expression': 'try_cast(' ~ quoted ~ ' as double)',
            'value_expression': value,
            'boundaries': [],
            'keeps_missing': true,
        }) -%}
    {%- endif -%}
{%- endfor -%}
{%- set number_format = "case when {x} = floor({x}) and abs({x}) < 1e15 then cast(cast({x} as bigint) as varchar)"
    ~ " else cast({x} as varchar) end" -%}

with

items as (

    select * from {{ ref('dim_items') }}

),

labels as (

    select * from {{ ref('fct_item_labels') }}

),

item_attributes as (

    select
        items.*,
        case when labels.n_annotators = 1 then labels.last_annotator_id end as slice_single_annotator_id
    from items
    left join labels
        on items.item_id = labels.item_id

),

column_definitions as (

    {#- one row per candidate column: how it may be sliced and its SQL over dim_items -#}
    {%- if candidates %}
        {%- for column in candidates %}
            {{ 'union all' if not loop.first }}
            select
                '{{ column.name | replace("'", "''") }}' as slice_column,
                '{{ column.kind }}' as column_kind,
                '{{ column.expression | replace("'", "''") }}' as predicate_expression,
                {{ "'" ~ (column.number_expression | replace("'", "''")) ~ "'" if column.number_expression else 'cast(null as varchar)' }}
                    as number_expression,
                {{ column.keeps_missing }} as keeps_missing,
                {{ column.boundaries | length > 0 }} as has_fixed_boundaries
        {%- endfor %}
    {%- else %}
        select
            cast(null as varchar) as slice_column,
            cast(null as varchar) as column_kind,
            cast(null as varchar) as predicate_expression,
            cast(null as varchar) as number_expression,
            false as keeps_missing,
            false as has_fixed_boundaries
        where 1 = 0
    {%- endif %}

),

fixed_boundaries as (

    {%- set fixed = [] %}
    {%- for column in candidates %}
        {%- for boundary in column.boundaries %}
            {%- do fixed.append((column.name, boundary)) %}
        {%- endfor %}
    {%- endfor %}
    {%- if fixed %}
        {%- for name, boundary in fixed %}
            {{ 'union all' if not loop.first }}
            select
                '{{ name | replace("'", "''") }}' as slice_column,
                cast({{ boundary }} as double) as lower_bound
        {%- endfor %}
    {%- else %}
        select
            cast(null as varchar) as slice_column,
            cast(null as double) as lower_bound
        where 1 = 0
    {%- endif %}

),

raw_values as (

    {#- one row per item and candidate column; derived columns skip items without a value -#}
    {%- if candidates %}
        {%- for column in candidates %}
            {{ 'union all' if not loop.first }}
            select
                item_id,
                '{{ column.name | replace("'", "''") }}' as slice_column,
                cast({{ column.value_expression }} as varchar) as text_value,
                try_cast({{ column.value_expression }} as double) as number_value
            from item_attributes
            {%- if not column.keeps_missing %}
                where {{ column.value_expression }} is not null
            {%- endif %}
        {%- endfor %}
    {%- else %}
        select
            cast(null as varchar) as item_id,
            cast(null as varchar) as slice_column,
            cast(null as varchar) as text_value,
            cast(null as double) as number_value
        where 1 = 0
    {%- endif %}

),

column_profiles as (

    select
        slice_column,
        count(text_value) as n_values,
        count(distinct text_value) as n_distinct_values,
        count(number_value) as n_numbers,
        count(*) - count(text_value) as n_missing,
        min(number_value) as min_number,
        max(number_value) as max_number,
        coalesce(bool_and(number_value = floor(number_value)), false) as is_integer
    from raw_values
    group by slice_column

),

resolved_columns as (

    {#- as-is up to slice_top_k values; beyond: numbers in bins, text by its top values,
        mostly distinct text (free text, ids) not at all -#}
    select
        column_definitions.*,
        column_profiles.n_values,
        column_profiles.n_distinct_values,
        column_profiles.n_missing,
        column_profiles.min_number,
        column_profiles.max_number,
        column_profiles.is_integer,
        case
            when column_definitions.column_kind in ('flag', 'number') then column_definitions.column_kind
            when column_profiles.n_distinct_values <= {{ top_k }} then 'category'
            when column_definitions.column_kind = 'category' then 'top_values'
            when column_profiles.n_numbers = column_profiles.n_values then 'number'
            when column_profiles.n_distinct_values <= {{ var('slice_max_distinct_share') }} * column_profiles.n_values
                then 'top_values'
        end as slice_kind
    from column_definitions
    inner join column_profiles
        on column_definitions.slice_column = column_profiles.slice_column

),

sliced_columns as (

    {#- a column needs two values to tell items apart ('(missing)' counts for metadata) -#}
    select * from resolved_columns
    where
        slice_kind is not null
        and n_distinct_values + case when keeps_missing and n_missing > 0 then 1 else 0 end >= 2

),

value_counts as (

    select
        raw_values.slice_column,
        raw_values.text_value,
        count(*) as n_items
    from raw_values
    inner join sliced_columns
        on raw_values.slice_column = sliced_columns.slice_column
    where sliced_columns.slice_kind = 'top_values' and raw_values.text_value is not null
    group by raw_values.slice_column, raw_values.text_value

),

top_values as (

    select
        slice_column,
        text_value
    from (
        select
            *,
            row_number() over (partition by slice_column order by n_items desc, text_value asc) as value_rank
        from value_counts
    ) as ranked_values
    where value_rank <= {{ top_k }}

),

other_conditions as (

    select
        top_values.slice_column,
        max(sliced_columns.predicate_expression) || ' not in ('
        || string_agg('''' || replace(top_values.text_value, '''', '''''') || '''', ', ' order by top_values.text_value)
        || ')' as slice_condition
    from top_values
    inner join sliced_columns
        on top_values.slice_column = sliced_columns.slice_column
    group by top_values.slice_column

),

number_tiles as (

    select
        raw_values.slice_column,
        raw_values.number_value,
        ntile({{ n_bins }}) over (partition by raw_values.slice_column order by raw_values.number_value) as tile
    from raw_values
    inner join sliced_columns
        on raw_values.slice_column = sliced_columns.slice_column
    where
        sliced_columns.slice_kind = 'number'
        and not sliced_columns.has_fixed_boundaries
        and raw_values.number_value is not null

),

bin_boundaries as (

    {#- each bin starts at a quantile's smallest value (or a fixed boundary) and runs to the next -#}
    select
        slice_column,
        min(number_value) as lower_bound
    from number_tiles
    group by slice_column, tile

    union

    select
        fixed_boundaries.slice_column,
        fixed_boundaries.lower_bound
    from fixed_boundaries
    inner join sliced_columns
        on fixed_boundaries.slice_column = sliced_columns.slice_column
    where fixed_boundaries.lower_bound between sliced_columns.min_number and sliced_columns.max_number

    union

    select
        slice_column,
        min_number as lower_bound
    from sliced_columns
    where slice_kind = 'number'

),

bins as (

    select
        bin_boundaries.slice_column,
        bin_boundaries.lower_bound,
        sliced_columns.max_number,
        sliced_columns.is_integer,
        sliced_columns.number_expression,
        lead(bin_boundaries.lower_bound) over (
            partition by bin_boundaries.slice_column order by bin_boundaries.lower_bound
        ) as upper_bound
    from bin_boundaries
    inner join sliced_columns
        on bin_boundaries.slice_column = sliced_columns.slice_column

),

formatted_bins as (

    select
        *,
        {{ number_format.replace('{x}', 'lower_bound') }} as lower_text,
        {{ number_format.replace('{x}', 'upper_bound') }} as upper_text,
        {{ number_format.replace('{x}', 'coalesce(upper_bound - 1, max_number)') }} as last_whole_text,
        {{ number_format.replace('{x}', 'max_number') }} as max_text
    from bins

),

labelled_bins as (

    {#- whole numbers read '3 to 5' (both included); others '[0.5, 1.5)', the last bin closed -#}
    select
        slice_column,
        lower_bound,
        upper_bound,
        case
            when is_integer and coalesce(upper_bound - 1, max_number) = lower_bound then lower_text
            when is_integer then lower_text || ' to ' || last_whole_text
            else '[' || lower_text || ', ' || coalesce(upper_text || ')', max_text || ']')
        end as slice_value,
        '(' || number_expression || ' >= ' || lower_text || ' and ' || number_expression
        || coalesce(' < ' || upper_text, ' <= ' || max_text) || ')' as slice_condition
    from formatted_bins

),

item_values as (

    select
        raw_values.item_id,
        raw_values.slice_column,
        case
            when raw_values.text_value is null then '(missing)'
            when sliced_columns.slice_kind = 'top_values' and top_values.text_value is null then '(other)'
            else raw_values.text_value
        end as slice_value,
        case
            when raw_values.text_value is null then sliced_columns.predicate_expression || ' is null'
            when sliced_columns.slice_kind = 'flag' and raw_values.text_value = 'true' then sliced_columns.predicate_expression
            when sliced_columns.slice_kind = 'flag' then 'not ' || sliced_columns.predicate_expression
            when sliced_columns.slice_kind = 'top_values' and top_values.text_value is null then other_conditions.slice_condition
            else sliced_columns.predicate_expression || ' = ''' || replace(raw_values.text_value, '''', '''''') || ''''
        end as slice_condition
    from raw_values
    inner join sliced_columns
        on raw_values.slice_column = sliced_columns.slice_column
    left join top_values
        on
            raw_values.slice_column = top_values.slice_column
            and raw_values.text_value = top_values.text_value
    left join other_conditions
        on raw_values.slice_column = other_conditions.slice_column
    where sliced_columns.slice_kind <> 'number' or raw_values.text_value is null

    union all

    select
        raw_values.item_id,
        raw_values.slice_column,
        labelled_bins.slice_value,
        labelled_bins.slice_condition
    from raw_values
    inner join labelled_bins
        on
            raw_values.slice_column = labelled_bins.slice_column
            and raw_values.number_value >= labelled_bins.lower_bound
            and (raw_values.number_value < labelled_bins.upper_bound or labelled_bins.upper_bound is null)

),

final as (

    select
        item_id,
        slice_column,
        slice_value,
        slice_condition
    from item_values

)

select * from final
