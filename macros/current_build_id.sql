{#- The id of this build: var build_id (set by `smartloop build`) or dbt's invocation id. -#}
{% macro current_build_id() -%}
    {{- return(var('build_id') or invocation_id) -}}
{%- endmacro %}
