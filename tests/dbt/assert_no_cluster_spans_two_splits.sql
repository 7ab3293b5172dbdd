{#- A duplicate cluster never has members in two splits (no leakage through duplicates). -#}
select
    cluster_id,
    count(distinct split) as n_splits
from {{ ref('dim_items') }}
group by cluster_id
having count(distinct split) > 1
