{#- The distinct keys of a relation's metadata JSON column, sorted; empty at parse time. -#}
{% macro metadata_keys(relation, column='metadata') -%}
    {{ return(adapter.dispatch('metadata_keys', 'smartloop')(relation, column)) }}
{%- endmacro %}

{% macro default__metadata_keys(relation, column) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select distinct unnest(json_keys({{ column }})) as key
        from {{ relation }}
        where {{ column }} is not null
        order by key
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}
