{#- A column name quoted for DuckDB's SQL, on every engine: the project's SQL is DuckDB SQL
    (translated for Spark by smartloop.spark), and slice predicates kept as text are run on
    the serving file, a DuckDB file. -#}
{% macro quote_identifier(name) -%}
    "{{ name | replace('"', '""') }}"
{%- endmacro %}
