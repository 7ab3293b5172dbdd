{#- Aggregate: a JSON object of key -> value with its keys in sorted order, so the same rows
    always give the same text (DuckDB's json_group_object keeps the order rows arrive in,
    which differs between runs and threads). Keys must be unique within a group. -#}
{% macro sorted_json_object(key, value) -%}
    {{ return(adapter.dispatch('sorted_json_object', 'smartloop')(key, value)) }}
{%- endmacro %}

{% macro default__sorted_json_object(key, value) -%}
    to_json(map_from_entries(list(struct_pack(key := {{ key }}, value := {{ value }}) order by {{ key }})))
{%- endmacro %}
