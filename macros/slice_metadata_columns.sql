{#- The metadata columns of a relation to slice by, at compile time (see _slices_macros.yml). -#}
{% macro slice_metadata_columns(relation, column='metadata') -%}
    {%- set personal = var('personal_columns') | map('lower') | list -%}
    {%- set named = var('slice_columns') | map('lower') | list -%}
    {%- set keys = metadata_keys(relation, column) -%}
    {%- set names = (adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) if keys else [] -%}
    {%- set out = [] -%}
    {%- for key in keys -%}
        {%- set is_timestamp = key.endswith('_at') -%}
        {#- a timestamp is sliced by its month, under the name <key>_month -#}
        {%- set slice_column = key ~ '_month' if is_timestamp else key -%}
        {%- set is_named = key | lower in named or slice_column | lower in named -%}
        {%- if is_named or (not named and key | lower not in personal) -%}
            {#- dim_items prefixes a key that clashes with one of its own columns (metadata_columns) -#}
            {%- set prefixed = 'metadata_' ~ key -%}
            {%- set relation_column = prefixed if (prefixed | lower in names and prefixed not in keys) else key -%}
            {%- do out.append({
                'key': key,
                'slice_column': slice_column,
                'relation_column': relation_column,
                'is_timestamp': is_timestamp,
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}
