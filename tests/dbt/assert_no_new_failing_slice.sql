{{ config(severity=var('quality_gate_severity')) }}

{#- Quality gate: no slice fails that did not fail in the previous build (warn by default,
    error with var quality_gate_severity: error). The first build has nothing to compare. -#}
select
    split,
    slice_name,
    error_rate,
    rest_error_rate,
    q_value
from {{ ref('rpt_failing_slices') }}
where is_new_since_previous_run
