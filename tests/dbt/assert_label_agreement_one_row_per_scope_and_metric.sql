{#- rpt_label_agreement has one row per scope, scope_column, scope_value and metric (its primary key). -#}
select
    scope,
    scope_column,
    scope_value,
    metric,
    count(*) as n_rows
from {{ ref('rpt_label_agreement') }}
group by scope, scope_column, scope_value, metric
having count(*) > 1
