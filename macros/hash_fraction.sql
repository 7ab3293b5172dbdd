{#- A number in [0, 1) from a seeded md5 of the expression: the same on every engine and every run. -#}
{% macro hash_fraction(expression, seed) -%}
    {{ hex_to_int("substr(md5('" ~ seed ~ ":' || " ~ expression ~ "), 1, 8)") }} / 4294967296.0
{%- endmacro %}
