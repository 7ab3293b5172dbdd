{{ config(materialized='table') }}  {#- a table, so a broken schema stops the build here -#}

{#- The label schema's chains (int_label_chains), checked: a cycle, or a replacement that is
    not in the schema, stops the build with a message naming the label. -#}
{%- set cycle_message -%}
    'label schema: the replaced_by chain of label ''' || label || ''' is a cycle; '
    || 'point the last label of the chain at an active label or leave its replaced_by empty.'
{%- endset -%}
{%- set unknown_message -%}
    'label schema: the replaced_by chain of label ''' || label || ''' leads to a label that is '
    || 'not in the schema; add that label or correct replaced_by.'
{%- endset -%}

with

chains as (

    select * from {{ ref('int_label_chains') }}

),

checked as (

    select * from chains
    where
        case
            when has_cycle then {{ raise_error(cycle_message) }}
            when has_unknown_replacement then {{ raise_error(unknown_message) }}
            else true
        end

)

select * from checked
