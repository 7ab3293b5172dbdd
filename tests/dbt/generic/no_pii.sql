{#- Fails on every value of a text column of the model in which the PII detectors find anything.
    Machine-made keys (build and row ids, hashes) are not scanned. -#}
{% test no_pii(model, exclude_columns=[]) %}
{%- set generated = ['build_id', 'invocation_id', 'landed_row_id', 'quarantine_id', 'file_load_id',
                     'redaction_id', 'deletion_id', 'pair_id'] + exclude_columns -%}
{%- set columns = adapter.get_columns_in_relation(model) if execute else [] -%}
{%- set scanned = [] -%}
{%- for column in columns -%}
    {%- if column.is_string() or column.dtype | lower in ('json', 'varchar[]') -%}
        {%- if column.name | lower not in generated -%}
            {%- do scanned.append(column) -%}
        {%- endif -%}
    {%- endif -%}
{%- endfor -%}

{%- if scanned -%}
    {#- the detectors run once per value: found in a subquery, filtered outside -#}
    {% for column in scanned %}
        select * from (
            select
                '{{ column.name }}' as column_name,
                cast({{ quote_identifier(column.name) }} as varchar) as value,
                {{ pii_found('cast(' ~ quote_identifier(column.name) ~ ' as varchar)') }} as pii_types
            from {{ model }}
        ) as scanned_values
        where len(pii_types) > 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- else -%}
    select null as column_name where false
{%- endif -%}
{% endtest %}
