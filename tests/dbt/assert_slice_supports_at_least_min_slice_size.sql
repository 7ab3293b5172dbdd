{#- Every slice holds at least var min_slice_size evaluated items, and no more than its split
    (the slice and the rest add up to the split). -#}
with

metrics as (

    select * from {{ ref('fct_slice_metrics') }}

),

split_sizes as (

    select
        split,
        count(*) as n_split_items
    from {{ ref('fct_predictions') }}
    where is_trainable and given_label is not null
    group by split

),

final as (

    select
        metrics.split,
        metrics.slice_id,
        metrics.n_items,
        metrics.n_rest_items,
        split_sizes.n_split_items
    from metrics
    left join split_sizes
        on metrics.split = split_sizes.split
    where
        not coalesce(metrics.n_items >= {{ var('min_slice_size') }}, false)
        or not coalesce(metrics.n_items + metrics.n_rest_items = split_sizes.n_split_items, false)
        or metrics.n_errors > metrics.n_items

)

select * from final
