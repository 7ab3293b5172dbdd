{{ config(materialized='incremental', incremental_strategy='append') }}  {#- history: one append per build -#}

with

landed_rows as (

    select * from {{ ref('int_landed_rows') }}

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
