{#- On Spark, the rows python_models/int_duplicate_clusters.py gave when `smartloop spark build` ran it. -#}
{{ config(enabled=target.type == 'spark', materialized='table', schema='intermediate') }}

select * from {{ source('python_outputs', 'int_duplicate_clusters') }}
