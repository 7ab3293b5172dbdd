{#- One select-list entry per metadata key: text, or a UTC timestamp for keys named *_at; names that clash get a metadata_ prefix. -#}
{% macro metadata_columns(keys, taken=[], column='metadata') -%}
    {%- for key in keys -%}
        {%- set name = 'metadata_' ~ key if key in taken else key -%}
        {%- if key.endswith('_at') -%}
            {{ parse_timestamp(blank_to_null(column ~ " ->> '" ~ key ~ "'")) }} as {{ quote_identifier(name) }}
        {%- else -%}
            {{ blank_to_null(column ~ " ->> '" ~ key ~ "'") }} as {{ quote_identifier(name) }}
        {%- endif -%}
        {{- ",\n        " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
