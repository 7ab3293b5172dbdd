{#- Exact-duplicate key: lower case, every run of non-letters/digits folded to one space, trimmed. -#}
{% macro text_key(expression) -%}
    nullif(trim(regexp_replace(lower({{ expression }}), '[^\p{L}\p{N}]+', ' ', 'g')), '')
{%- endmacro %}
