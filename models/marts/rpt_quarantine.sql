{%- set validated = ['int_items_validated', 'int_annotations_validated', 'int_reviews_validated', 'int_deletions_validated'] -%}

with

{% for model in validated %}
    {{ model }} as (

        select * from {{ ref(model) }}

    ),
{% endfor %}

rejected as (

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
        where reason_code is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        landed_row_id as quarantine_id,
        source_kind,
        source_file,
        source_format,
        source_row_number,
        item_id,
        reason_code,
        reason_detail,
        raw_record,
        '{{ current_build_id() }}' as build_id
    from rejected

)

select * from final
