{#-
    The project's SQL is written in DuckDB's dialect. On Spark, each model's, test's and
    hook's SQL is wrapped in markers, and smartloop.spark translates the marked region to
    Spark SQL with sqlglot just before Spark runs it; dbt-spark's own statements around it
    (create table, create view) are Spark SQL already and stay as they are.
-#}
{% macro smartloop_sql(sql) -%}
    {{ return(adapter.dispatch('smartloop_sql', 'smartloop')(sql)) }}
{%- endmacro %}

{% macro default__smartloop_sql(sql) -%}
    {{ return(sql) }}
{%- endmacro %}

{% macro spark__smartloop_sql(sql) -%}
    {{ return('/*smartloop:duckdb*/' ~ sql ~ '/*smartloop:end*/') }}
{%- endmacro %}

{#- dbt-spark's materialization macros, called with the model's SQL marked. -#}
{% macro spark__create_table_as(temporary, relation, compiled_code, language='sql') -%}
    {%- if language == 'sql' -%}
        {%- set compiled_code = smartloop_sql(compiled_code) -%}
    {%- endif -%}
    {{ return(dbt.spark__create_table_as(temporary, relation, compiled_code, language)) }}
{%- endmacro %}

{% macro spark__create_view_as(relation, sql) -%}
    {{ return(dbt.spark__create_view_as(relation, smartloop_sql(sql))) }}
{%- endmacro %}

{% macro spark__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {{ return(dbt.default__get_test_sql(smartloop_sql(main_sql), fail_calc, warn_if, error_if, limit)) }}
{%- endmacro %}

{#- Spark: a DuckDB expression of smartloop_value (the project's default__ SQL of a text
    function) evaluated on `expression` by DuckDB inside Spark's Python workers
    (smartloop_duckdb_text, registered by smartloop.spark), so both engines compute it with
    one engine. -#}
{% macro in_duckdb(duckdb_sql, expression) -%}
    smartloop_duckdb_text('{{ duckdb_sql | replace("'", "''") }}', {{ expression }})
{%- endmacro %}
