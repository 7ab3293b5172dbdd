{#- The metadata keys of a relation that agreement can be sliced by: every key except var personal_columns (names compared in lower case); empty at parse time. -#}
{% macro agreement_slice_keys(relation, column='metadata') -%}
    {%- set personal = var('personal_columns') | map('lower') | list -%}
    {%- set keys = [] -%}
    {%- for key in metadata_keys(relation, column) if key | lower not in personal -%}
        {%- do keys.append(key) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}
