{#- The landing folder of this build: var landing_dir, else env SMARTLOOP_LANDING_DIR, else the embedded demo. -#}
{% macro landing_dir() -%}
    {{- return(var('landing_dir') or env_var('SMARTLOOP_LANDING_DIR', 'data/demo')) -}}
{%- endmacro %}
