{#- The value of `value` on the row where `key` is largest (an aggregate). -#}
{% macro arg_max(value, key) -%}
    {{ return(adapter.dispatch('arg_max', 'smartloop')(value, key)) }}
{%- endmacro %}

{% macro default__arg_max(value, key) -%}
    arg_max({{ value }}, {{ key }})
{%- endmacro %}

{% macro spark__arg_max(value, key) -%}
    max_by({{ value }}, {{ key }})
{%- endmacro %}
