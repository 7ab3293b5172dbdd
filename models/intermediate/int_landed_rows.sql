{#- One row per landed row of every landing folder with its outcome (reason_code NULL: accepted). -#}
{%- set validated = ['int_items_validated', 'int_annotations_validated', 'int_reviews_validated', 'int_deletions_validated'] -%}

with

{% for model in validated %}
    {{ model }} as (

        select * from {{ ref(model) }}

    ),
{% endfor %}

final as (

    {% for model in validated %}
        select
            landed_row_id,
            source_kind,
            source_file,
            source_format,
            source_row_number,
            item_id,
            reason_code,
            reason_detail,
            raw_record
        from {{ model }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
