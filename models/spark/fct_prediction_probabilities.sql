{#- On Spark, the rows python_models/fct_prediction_probabilities.py gave when `smartloop spark build` ran it. -#}
{{ config(enabled=target.type == 'spark', materialized='table', schema='marts') }}

select * from {{ source('python_outputs', 'fct_prediction_probabilities') }}
