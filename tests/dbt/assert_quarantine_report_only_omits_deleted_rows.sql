{#- Every quarantined row is in rpt_quarantine unless a deletion request targets its item or person. -#}
with

quarantine as (

    select * from {{ ref('int_quarantine_redacted') }}

),

report as (

    select * from {{ ref('rpt_quarantine') }}

),

targets as (

    select * from {{ ref('int_deletion_targets') }}

),

missing as (

    select quarantine.*
    from quarantine
    left join report
        on quarantine.landed_row_id = report.quarantine_id
    where report.quarantine_id is null

)

select missing.landed_row_id
from missing
where not exists (
    select 1
    from targets
    where
        missing.item_id = targets.item_id
        or list_contains(missing.pseudonyms, targets.pseudonym)
)
