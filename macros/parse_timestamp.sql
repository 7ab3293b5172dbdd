{#- A UTC timestamp from text: var timestamp_formats first, then ISO-8601 with a zone; NULL when neither parses. -#}
{% macro parse_timestamp(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp(expression) -%}
    coalesce(
        try_strptime({{ expression }}, [
            {%- for fmt in var('timestamp_formats') -%}
                '{{ fmt }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        ]),
        {#- only text that starts like a date: words such as 'epoch' or 'infinity' are not timestamps -#}
        case
            when regexp_matches({{ expression }}, '^\s*\d{4}-\d{1,2}-\d{1,2}')
                then timezone('UTC', try_cast({{ expression }} as timestamptz))
        end
    )
{%- endmacro %}
