{#- The id of this build: var build_id (a direct dbt run, a unit test), else env
    SMARTLOOP_BUILD_ID (set by `smartloop build`), else dbt's invocation id. Read only when
    nodes run, never while dbt parses: the id changes every build, and a value seen at parse
    time would make dbt parse the whole project again (the builder passes it in the
    environment, not in --vars, so repeated builds of a home parse only what changed). -#}
{% macro current_build_id() -%}
    {%- if execute -%}
        {{- return(var('build_id') or env_var('SMARTLOOP_BUILD_ID', '') or invocation_id) -}}
    {%- else -%}
        {{- return('') -}}
    {%- endif -%}
{%- endmacro %}
