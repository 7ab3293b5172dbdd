{{ config(severity=var('quality_gate_severity')) }}

{#- Quality gate: this build's model is at least var min_validation_accuracy accurate on
    the validation split (out of fold); 0 turns the gate off. -#}
select
    model_run_id,
    validation_accuracy
from {{ ref('fct_model_runs') }}
where
    model_run_id = '{{ current_build_id() }}'
    and validation_accuracy < {{ var('min_validation_accuracy') }}
