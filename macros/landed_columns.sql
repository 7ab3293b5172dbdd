{#- The columns every staging model of a landing source starts with: its key, kind, file, row and raw record. -#}
{% macro landed_columns(kind) -%}
    {{ landed_row_id() }} as landed_row_id,
    '{{ kind }}' as source_kind,
    source_file,
    source_format,
    source_row_number,
    parse_error,
    raw_record
{%- endmacro %}
