{#- Stable key of one landed row: md5 of its source file and row number (portable across engines). -#}
{% macro landed_row_id(source_file='source_file', source_row_number='source_row_number') -%}
    md5({{ source_file }} || ':' || cast({{ source_row_number }} as varchar))
{%- endmacro %}
