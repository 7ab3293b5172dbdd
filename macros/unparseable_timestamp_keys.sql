{#- The keys of a metadata JSON object named *_at whose non-empty value is not a timestamp (a list, empty when all parse). -#}
{% macro unparseable_timestamp_keys(metadata) -%}
    {{ return(adapter.dispatch('unparseable_timestamp_keys', 'smartloop')(metadata)) }}
{%- endmacro %}

{% macro default__unparseable_timestamp_keys(metadata) -%}
    coalesce(
        list_filter(
            json_keys({{ metadata }}),
            lambda k: k like '%\_at' escape '\'
            and nullif(trim({{ metadata }} ->> k), '') is not null
            and {{ parse_timestamp(metadata ~ ' ->> k') }} is null
        ),
        []
    )
{%- endmacro %}
