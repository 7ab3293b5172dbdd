{#- A number in [0, 1) from a seeded md5 of the expression: the same on every engine and every run. -#}
{% macro hash_fraction(expression, seed) -%}
    {{ return(adapter.dispatch('hash_fraction', 'smartloop')(expression, seed)) }}
{%- endmacro %}

{% macro default__hash_fraction(expression, seed) -%}
    cast(('0x' || substr(md5('{{ seed }}:' || {{ expression }}), 1, 8)) as bigint) / 4294967296.0
{%- endmacro %}
