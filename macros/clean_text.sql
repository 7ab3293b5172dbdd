{#- Display-ready text: tags stripped, entities unescaped, NFKC, whitespace collapsed (smartloop.text.clean_text). -#}
{% macro clean_text(expression) -%}
    {{ return(adapter.dispatch('clean_text', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__clean_text(expression) -%}
    smartloop_clean_text({{ expression }})
{%- endmacro %}
