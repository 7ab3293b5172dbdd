{#- Agreement values are in range: alpha and the generalised Fleiss kappa at most 1 (both can
    fall below -1 on small samples), Cohen's kappa in [-1, 1], agreement shares in [0, 1].
    A NaN fails too (NaN compares greater than every number in DuckDB). -#}
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
        metric as column_name,
        value
    from label_agreement
    where not coalesce(value <= 1, true)

    union all

    select
        'fct_annotator_pairs' as model_name,
        'cohen_kappa' as column_name,
        cohen_kappa as value
    from annotator_pairs
    where not coalesce(cohen_kappa between -1 and 1, true)

    union all

    select
        'fct_annotator_pairs' as model_name,
        'observed_agreement' as column_name,
        observed_agreement as value
    from annotator_pairs
    where not coalesce(observed_agreement between 0 and 1, false)

    union all

    select
        'fct_annotator_pairs' as model_name,
        'expected_agreement' as column_name,
        expected_agreement as value
    from annotator_pairs
    where not coalesce(expected_agreement between 0 and 1, false)

)

select * from final
