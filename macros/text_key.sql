{#- Exact-duplicate key: lower case, every run of non-letters/digits folded to one space, trimmed.
    A redaction placeholder becomes one glued word ('<PHONE>' -> 'piiphone'), so folding its
    brackets away cannot give a detector new context ("on <PHONE> now 109883" would read as
    "on phone now 109883", a phone number announced by a keyword). -#}
{% macro text_key(expression) -%}
    {{ return(adapter.dispatch('text_key', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__text_key(expression) -%}
    nullif(trim(regexp_replace(
        lower(regexp_replace({{ expression }}, '{{ pii_placeholder_pattern() }}', 'pii\1', 'g')),
        '[^\p{L}\p{N}]+', ' ', 'g'
    )), '')
{%- endmacro %}

{#- Spark: computed by DuckDB in Spark's Python workers, as redact_pii: Java lower-cases some
    letters differently (U+0130 to i and a combining dot) and reads \p{L} by another table. -#}
{% macro spark__text_key(expression) -%}
    {{ in_duckdb(default__text_key('smartloop_value'), expression) }}
{%- endmacro %}
