{#- Creates the schema that landing sources load into, once, before models run in parallel. -#}
{% macro prepare_warehouse() -%}
    create schema if not exists landing;
{%- endmacro %}
