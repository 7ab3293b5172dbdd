{#- One row per annotator, consensus label and given label: how often the annotator gave
    that label to items of that consensus label, and Dawid-Skene's estimate of the
    probability (the annotator's confusion matrix, each row summing to 1). -#}
with

evidence as (

    select * from {{ ref('int_label_evidence') }}
    where evidence_kind = 'annotation'

),

posteriors as (

    select * from {{ ref('int_label_posteriors') }}

),

item_labels as (

    select
        item_id,
        label
    from {{ ref('fct_item_labels') }}
    where label is not null

),

annotators as (

    {#- without shared items Dawid-Skene cannot tell an annotator's confusion from the data -#}
    select
        annotator_id,
        n_items_shared
    from {{ ref('dim_annotators') }}

),

soft_counts as (

    select
        evidence.annotator_id,
        posteriors.label as consensus_label,
        evidence.label as given_label,
        sum(posteriors.posterior order by evidence.item_id) as expected_count
    from evidence
    inner join posteriors
        on evidence.item_id = posteriors.item_id
    group by evidence.annotator_id, posteriors.label, evidence.label

),

hard_counts as (

    select
        evidence.annotator_id,
        item_labels.label as consensus_label,
        evidence.label as given_label,
        count(*) as n_annotations
    from evidence
    inner join item_labels
        on evidence.item_id = item_labels.item_id
    group by evidence.annotator_id, item_labels.label, evidence.label

),

cells as (

    select
        annotator_id,
        consensus_label,
        given_label
    from soft_counts
    union
    select
        annotator_id,
        consensus_label,
        given_label
    from hard_counts

),

final as (

    select
        cells.annotator_id,
        cells.consensus_label,
        cells.given_label,
        coalesce(hard_counts.n_annotations, 0) as n_annotations,
        coalesce(hard_counts.n_annotations, 0) * 1.0
        / nullif(sum(coalesce(hard_counts.n_annotations, 0)) over (partition by cells.annotator_id, cells.consensus_label), 0)
            as share_of_consensus_label,
        case
            when annotators.n_items_shared > 0
                then
                    soft_counts.expected_count
                    / nullif(sum(soft_counts.expected_count) over (
                        partition by cells.annotator_id, cells.consensus_label order by cells.given_label
                        rows between unbounded preceding and unbounded following
                    ), 0)
        end as dawid_skene_probability,
        '{{ current_build_id() }}' as build_id
    from cells
    left join hard_counts
        on
            cells.annotator_id = hard_counts.annotator_id
            and cells.consensus_label = hard_counts.consensus_label
            and cells.given_label = hard_counts.given_label
    left join soft_counts
        on
            cells.annotator_id = soft_counts.annotator_id
            and cells.consensus_label = soft_counts.consensus_label
            and cells.given_label = soft_counts.given_label
    left join annotators
        on cells.annotator_id = annotators.annotator_id

)

select * from final
