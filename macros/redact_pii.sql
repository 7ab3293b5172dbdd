{#- Text with every detected piece of personal data replaced by a typed placeholder such as <EMAIL>. -#}
{% macro redact_pii(expression) -%}
    {{ return(adapter.dispatch('redact_pii', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__redact_pii(expression) -%}
    regexp_replace({{ expression }}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '<EMAIL>', 'g')
{%- endmacro %}
