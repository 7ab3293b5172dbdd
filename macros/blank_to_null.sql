{#- Trimmed text, NULL when empty or only whitespace. -#}
{% macro blank_to_null(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}
