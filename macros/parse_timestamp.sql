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
        {{ iso_8601_timestamp(expression) }}
    )
{%- endmacro %}

{#- parse_timestamp's second way to parse: ISO-8601 with a zone, as UTC; NULL otherwise. Only
    text that starts like a date: words such as 'epoch' or 'infinity' are not timestamps. -#}
{% macro iso_8601_timestamp(expression) -%}
    {{ return(adapter.dispatch('iso_8601_timestamp', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__iso_8601_timestamp(expression) -%}
    case
        when regexp_matches({{ expression }}, '^\s*\d{4}-\d{1,2}-\d{1,2}')
            then timezone('UTC', try_cast({{ expression }} as timestamptz))
    end
{%- endmacro %}

{% macro spark__iso_8601_timestamp(expression) -%}
    case
        when regexp_matches({{ expression }}, '^\s*\d{4}-\d{1,2}-\d{1,2}')
            then try_cast({{ expression }} as timestamptz)
    end
{%- endmacro %}

{#-
    Spark: each strptime format as a datetime pattern (%Y yyyy, %m M, %d d, %H H, %M m,
    %S s, %f SSSSSS; other letters quoted), as a UTC timestamp without a zone like DuckDB's.
-#}
{% macro spark__parse_timestamp(expression) -%}
    cast(
        coalesce(
            {%- for fmt in var('timestamp_formats') %}
            try_to_timestamp({{ expression }}, '{{ strptime_pattern(fmt) }}'),
            {%- endfor %}
            {{ iso_8601_timestamp(expression) }}
        ) as timestamp
    )
{%- endmacro %}

{#- A strptime format (the directives of var timestamp_formats) as a Java datetime pattern. -#}
{% macro strptime_pattern(fmt) -%}
    {%- set directives = {'Y': 'yyyy', 'm': 'M', 'd': 'd', 'H': 'H', 'M': 'm', 'S': 's', 'f': 'SSSSSS'} -%}
    {%- set ns = namespace(out='', percent=false) -%}
    {%- for char in fmt -%}
        {%- if ns.percent -%}
            {%- if char not in directives -%}
                {{ exceptions.raise_compiler_error("timestamp_formats: %" ~ char ~ " has no Spark pattern (" ~ fmt ~ ").") }}
            {%- endif -%}
            {%- set ns.out = ns.out ~ directives[char] -%}
            {%- set ns.percent = false -%}
        {%- elif char == '%' -%}
            {%- set ns.percent = true -%}
        {%- elif char.isalpha() -%}
            {%- set ns.out = ns.out ~ "''" ~ char ~ "''" -%}
        {%- else -%}
            {%- set ns.out = ns.out ~ char -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.out) }}
{%- endmacro %}
