{#- One row per pair of named annotators who labelled at least one same retained item, with
    Cohen's (1960) kappa over the items they share: each annotator's latest label of an item
    (round_from_latest = 1), observed agreement p_o, chance agreement p_e from each
    annotator's own label distribution over the shared items, kappa = (p_o - p_e) / (1 - p_e).
    Kappa is NULL, with the reason, below var min_pair_overlap shared items or when p_e is 1. -#}
{%- set min_pair_overlap = var('min_pair_overlap') -%}

with

evidence as (

    select * from {{ ref('int_label_evidence') }}

),

annotations as (

    {#- one label per named annotator and item: their latest round -#}
    select
        item_id,
        annotator_id,
        label
    from evidence
    where
        evidence_kind = 'annotation'
        and annotator_id <> '(anonymous)'
        and round_from_latest = 1

),

shared_items as (

    select
        annotations_a.annotator_id as annotator_a,
        annotations_b.annotator_id as annotator_b,
        annotations_a.item_id,
        annotations_a.label as label_a,
        annotations_b.label as label_b
    from annotations as annotations_a
    inner join annotations as annotations_b
        on
            annotations_a.item_id = annotations_b.item_id
            and annotations_a.annotator_id < annotations_b.annotator_id

),

pair_counts as (

    select
        annotator_a,
        annotator_b,
        count(*) as n_shared_items,
        sum(case when label_a = label_b then 1 else 0 end) as n_agreeing_items
    from shared_items
    group by annotator_a, annotator_b

),

labels_a as (

    select
        annotator_a,
        annotator_b,
        label_a as label,
        count(*) as n_items
    from shared_items
    group by annotator_a, annotator_b, label_a

),

labels_b as (

    select
        annotator_a,
        annotator_b,
        label_b as label,
        count(*) as n_items
    from shared_items
    group by annotator_a, annotator_b, label_b

),

label_products as (

    {#- sum over labels k of n_a(k) * n_b(k); p_e is this over n_shared_items squared -#}
    select
        labels_a.annotator_a,
        labels_a.annotator_b,
        sum(labels_a.n_items * labels_b.n_items) as sum_label_products
    from labels_a
    inner join labels_b
        on
            labels_a.annotator_a = labels_b.annotator_a
            and labels_a.annotator_b = labels_b.annotator_b
            and labels_a.label = labels_b.label
    group by labels_a.annotator_a, labels_a.annotator_b

),

pair_statistics as (

    select
        pair_counts.annotator_a,
        pair_counts.annotator_b,
        pair_counts.n_shared_items,
        {#- a pair shares at least one item, so n_shared_items is never zero -#}
        cast(pair_counts.n_agreeing_items as double) / nullif(pair_counts.n_shared_items, 0) as observed_agreement,
        cast(coalesce(label_products.sum_label_products, 0) as double)
        / nullif(cast(pair_counts.n_shared_items as double) * pair_counts.n_shared_items, 0) as expected_agreement,
        case
            when pair_counts.n_shared_items < {{ min_pair_overlap }}
                then 'fewer than {{ min_pair_overlap }} shared items'
            {#- p_e = 1 exactly: both annotators gave one and the same label to every shared item #}
            when coalesce(label_products.sum_label_products, 0) = pair_counts.n_shared_items * pair_counts.n_shared_items
                then 'every shared label is the same class'
        end as not_applicable_reason
    from pair_counts
    left join label_products
        on
            pair_counts.annotator_a = label_products.annotator_a
            and pair_counts.annotator_b = label_products.annotator_b

),

final as (

    select
        md5(annotator_a || ':' || annotator_b) as annotator_pair_id,
        annotator_a,
        annotator_b,
        cast(n_shared_items as bigint) as n_shared_items,
        observed_agreement,
        expected_agreement,
        cast(
            case
                when not_applicable_reason is null
                    then (observed_agreement - expected_agreement) / nullif(1 - expected_agreement, 0)
            end as double
        ) as cohen_kappa,
        not_applicable_reason,
        '{{ current_build_id() }}' as build_id
    from pair_statistics

)

select * from final
