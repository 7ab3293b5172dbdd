{#- Each split's share of clusters matches split_ratios: it fails only when a share is off by
    more than split_ratio_tolerance and by more than four binomial standard errors. -#}
{%- set ratios = var('split_ratios') -%}
{%- set total = ratios['train'] + ratios['validation'] + ratios['test'] -%}

with

clusters as (

    select distinct
        cluster_id,
        split
    from {{ ref('dim_items') }}

),

shares as (

    select
        split,
        count(*) * 1.0 / sum(count(*)) over () as share,
        sum(count(*)) over () as n_clusters
    from clusters
    group by split

),

expected as (

    {% for split in ['train', 'validation', 'test'] %}
        select
            '{{ split }}' as split,
            {{ ratios[split] / total }} as ratio
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

n_clusters as (

    select max(n_clusters) as n_clusters from shares

),

compared as (

    select
        expected.split,
        expected.ratio,
        coalesce(shares.share, 0) as share,
        sqrt(expected.ratio * (1 - expected.ratio) / n_clusters.n_clusters) as standard_error
    from expected
    cross join n_clusters
    left join shares
        on expected.split = shares.split
    where n_clusters.n_clusters > 0

)

select *
from compared
where
    abs(share - ratio) > {{ var('split_ratio_tolerance') }}
    and abs(share - ratio) > 4 * standard_error
