{#- A landed value made safe to keep: a keyed pseudonym for a personal column, PII-redacted text otherwise. -#}
{% macro sanitize_value(name_expression, value_expression) -%}
    case
        when {{ is_personal_column(name_expression) }} then {{ pseudonymise(value_expression) }}
        else {{ redact_pii(value_expression) }}
    end
{%- endmacro %}
