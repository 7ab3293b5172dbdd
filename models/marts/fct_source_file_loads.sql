{{ config(materialized='incremental', incremental_strategy='append') }}  {#- history: one append per build -#}

{%- set validated = ['int_items_validated', 'int_annotations_validated', 'int_reviews_validated', 'int_deletions_validated'] -%}

with

{% for model in validated %}
    {{ model }} as (

        select * from {{ ref(model) }}

    ),
{% endfor %}

landed_rows as (

    {% for model in validated %}
        select
            source_kind,
            source_file,
            source_format,
            reason_code
        from {{ model }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        md5('{{ current_build_id() }}' || ':' || source_file) as file_load_id,
        '{{ current_build_id() }}' as build_id,
        '{{ invocation_id }}' as invocation_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as loaded_at,
        source_kind,
        source_file,
        source_format,
        count(*) as n_landed,
        count(*) filter (where reason_code is null) as n_accepted,
        count(*) filter (where reason_code is not null) as n_quarantined
    from landed_rows
    group by source_kind, source_file, source_format

)

select * from final
{% if is_incremental() %}
where build_id not in (select build_id from {{ this }})
{% endif %}
