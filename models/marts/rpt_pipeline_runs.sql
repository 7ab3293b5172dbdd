{%- set kinds = ['items', 'annotations', 'reviews', 'deletions'] -%}
{%- set build_log_source = source('runs', 'build_log') -%}
{#- The ledger exists once `smartloop build` has run; a direct dbt run may not have one. -#}
{%- set has_build_log = execute and adapter.get_relation(
    database=build_log_source.database, schema=build_log_source.schema, identifier=build_log_source.identifier
) is not none -%}

with

build_log as (

    {% if has_build_log %}
    select * from {{ build_log_source }}
    {% else %}
        select
            cast(null as varchar) as build_id,
            cast(null as timestamp) as started_at,
            cast(null as timestamp) as ended_at,
            cast(null as varchar) as status,
            cast(null as varchar) as message,
            cast(null as varchar) as landing_dir
        where false
    {% endif %}

),

file_loads as (

    select * from {{ ref('fct_source_file_loads') }}

),

load_counts as (

    select
        build_id,
        max(invocation_id) as invocation_id,
        min(loaded_at) as loaded_at,
        {% for kind in kinds %}
            coalesce(sum(n_landed) filter (where source_kind = '{{ kind }}'), 0) as n_{{ kind }}_landed,
            coalesce(sum(n_accepted) filter (where source_kind = '{{ kind }}'), 0) as n_{{ kind }}_accepted,
            coalesce(sum(n_quarantined) filter (where source_kind = '{{ kind }}'), 0) as n_{{ kind }}_quarantined,
        {% endfor %}
        count(*) as n_files
    from file_loads
    group by build_id

),

current_build as (

    select
        '{{ current_build_id() }}' as build_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as started_at,
        '{{ landing_dir() }}' as landing_dir

),

builds as (

    select
        build_id,
        started_at,
        ended_at,
        status,
        message,
        landing_dir
    from build_log

    union all

    {# Builds run by dbt directly have no ledger row: they show as built by dbt. #}
    select
        build_id,
        loaded_at as started_at,
        cast(null as timestamp) as ended_at,
        'built' as status,
        cast(null as varchar) as message,
        cast(null as varchar) as landing_dir
    from load_counts
    where
        load_counts.build_id not in (select build_log.build_id from build_log)
        and load_counts.build_id != '{{ current_build_id() }}'

    union all

    select
        build_id,
        started_at,
        cast(null as timestamp) as ended_at,
        'built' as status,
        cast(null as varchar) as message,
        landing_dir
    from current_build
    where current_build.build_id not in (select build_log.build_id from build_log)

),

final as (

    select
        builds.build_id,
        load_counts.invocation_id,
        builds.ended_at,
        builds.status,
        builds.message,
        builds.landing_dir,
        coalesce(builds.started_at, load_counts.loaded_at) as started_at,
        coalesce(load_counts.n_files, 0) as n_files,
        {% for kind in kinds %}
            coalesce(load_counts.n_{{ kind }}_landed, 0) as n_{{ kind }}_landed,
            coalesce(load_counts.n_{{ kind }}_accepted, 0) as n_{{ kind }}_accepted,
            coalesce(load_counts.n_{{ kind }}_quarantined, 0) as n_{{ kind }}_quarantined,
        {% endfor %}
        builds.build_id = '{{ current_build_id() }}' as is_current
    from builds
    left join load_counts
        on builds.build_id = load_counts.build_id

)

select * from final
