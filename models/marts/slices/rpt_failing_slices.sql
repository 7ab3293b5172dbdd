{#- One row per failing slice and split of this build (fct_slice_metrics.is_failing), ranked
    by excess errors, with the wider slices it explains and how it compares to the previous
    build's run. -#}
with

all_metrics as (

    select * from {{ ref('fct_slice_metrics') }}

),

metrics as (

    select * from all_metrics
    where is_failing

),

explained as (

    select
        split,
        explained_by_slice_id as slice_id,
        count(*) as n_explained_slices,
        string_agg(slice_name, '; ' order by slice_name) as explained_slice_names
    from all_metrics
    where explained_by_slice_id is not null
    group by split, explained_by_slice_id

),

history as (

    select * from {{ ref('fct_slice_metrics_history') }}

),

previous_build as (

    select build_id
    from history
    where build_id <> '{{ current_build_id() }}'
    group by build_id
    order by max(recorded_at) desc, build_id desc
    limit 1

),

previous_metrics as (

    select history.*
    from history
    inner join previous_build
        on history.build_id = previous_build.build_id

),

final as (

    select
        metrics.split,
        row_number() over (
            partition by metrics.split order by metrics.excess_errors desc, metrics.slice_id asc
        ) as slice_rank,
        metrics.slice_id,
        metrics.slice_name,
        metrics.slice_predicate,
        metrics.n_predicates,
        metrics.n_items,
        metrics.n_errors,
        metrics.error_rate,
        metrics.wilson_lower,
        metrics.wilson_upper,
        metrics.rest_error_rate,
        metrics.error_rate_difference,
        metrics.excess_errors,
        metrics.p_value,
        metrics.q_value,
        metrics.recall_by_label,
        coalesce(explained.n_explained_slices, 0) as n_explained_slices,
        explained.explained_slice_names,
        previous_build.build_id as previous_build_id,
        previous_metrics.error_rate as previous_error_rate,
        {#- NULL on the first build: there is nothing to compare with -#}
        case when previous_build.build_id is not null then not coalesce(previous_metrics.is_failing, false) end
            as is_new_since_previous_run,
        {#- worse beyond noise: the whole interval now lies above the previous error rate -#}
        coalesce(metrics.wilson_lower > previous_metrics.error_rate, false) as is_regressed,
        metrics.build_id
    from metrics
    left join explained
        on
            metrics.split = explained.split
            and metrics.slice_id = explained.slice_id
    left join previous_build
        on true
    left join previous_metrics
        on
            metrics.split = previous_metrics.split
            and metrics.slice_id = previous_metrics.slice_id

)

select * from final
