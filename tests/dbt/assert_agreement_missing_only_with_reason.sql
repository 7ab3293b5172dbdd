{#- An agreement value is NULL exactly when its row says why it could not be computed. -#}
with

label_agreement as (

    select * from {{ ref('rpt_label_agreement') }}

),

annotator_pairs as (

    select * from {{ ref('fct_annotator_pairs') }}

),

final as (

    select
        'rpt_label_agreement' as model_name,
        scope || ':' || coalesce(scope_value, '') || ':' || metric as row_key,
        not_applicable_reason
    from label_agreement
    where (value is null) <> (not_applicable_reason is not null)

    union all

    select
        'fct_annotator_pairs' as model_name,
        annotator_pair_id as row_key,
        not_applicable_reason
    from annotator_pairs
    where (cohen_kappa is null) <> (not_applicable_reason is not null)

)

select * from final
