{#- The distinct keys of a relation's metadata JSON column, sorted; empty at parse time. -#}
{% macro metadata_keys(relation, column='metadata') -%}
    {{ return(adapter.dispatch('metadata_keys', 'smartloop')(relation, column)) }}
{%- endmacro %}

{% macro default__metadata_keys(relation, column) -%}
    {#- nothing to ask at parse time, or before the relation is first built -#}
    {%- if not execute or load_relation(relation) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select distinct unnest(json_keys({{ column }})) as key
        from {{ relation }}
        where {{ column }} is not null
        order by key
    {%- endset -%}
    {{ return(run_query(smartloop_sql(query)).columns[0].values() | list) }}
{%- endmacro %}
