{#- The PII types detected in a text, one list element per match (EMAIL, PHONE, CARD, IBAN, SSN, IP_ADDRESS, URL_SECRET, HANDLE). -#}
{% macro pii_found(expression) -%}
    {{ return(adapter.dispatch('pii_found', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__pii_found(expression) -%}
    list_transform(
        regexp_extract_all({{ expression }}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'),
        lambda m: 'EMAIL'
    )
{%- endmacro %}
