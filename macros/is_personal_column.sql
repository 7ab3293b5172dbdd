{#- True when a column or metadata key name is one of var personal_columns (names compared in lower case). -#}
{% macro is_personal_column(name_expression) -%}
    {%- set personal = var('personal_columns') | map('lower') | list -%}
    {%- if personal -%}
        ({{ name_expression }} in ({% for column in personal %}'{{ column }}'{{ ', ' if not loop.last }}{% endfor %}))
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}
