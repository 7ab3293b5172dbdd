{#- Keyed pseudonym of a personal value (smartloop.privacy.pseudonymise; the key stays in the environment). -#}
{% macro pseudonymise(expression) -%}
    {{ return(adapter.dispatch('pseudonymise', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__pseudonymise(expression) -%}
    smartloop_pseudonymise({{ expression }})
{%- endmacro %}
