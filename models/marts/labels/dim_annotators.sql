{#- One row per annotator: volume, overlap with others, and accuracy three ways: against
    the final consensus, against the leave-one-out majority of the other annotators, and
    as Dawid-Skene estimates it (the mean posterior of the labels the annotator gave). -#}
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
        label,
        n_annotators
    from {{ ref('fct_item_labels') }}

),

own_votes as (

    select
        item_id,
        annotator_id,
        label,
        count(*) as n_own
    from evidence
    group by item_id, annotator_id, label

),

item_votes as (

    select
        item_id,
        label,
        count(*) as n_votes
    from evidence
    group by item_id, label

),

item_annotators as (

    select distinct
        item_id,
        annotator_id
    from evidence

),

others_votes as (

    {#- for each annotator of an item, the votes of everybody else, per label -#}
    select
        item_annotators.item_id,
        item_annotators.annotator_id,
        item_votes.label,
        item_votes.n_votes - coalesce(own_votes.n_own, 0) as n_other_votes
    from item_annotators
    inner join item_votes
        on item_annotators.item_id = item_votes.item_id
    left join own_votes
        on
            item_annotators.item_id = own_votes.item_id
            and item_annotators.annotator_id = own_votes.annotator_id
            and item_votes.label = own_votes.label

),

others_ranked as (

    select
        *,
        rank() over (partition by item_id, annotator_id order by n_other_votes desc) as vote_rank
    from others_votes
    where n_other_votes > 0

),

leave_one_out as (

    {#- the others' majority label, where they have one (no tie) -#}
    select
        item_id,
        annotator_id,
        max(label) as loo_label
    from others_ranked
    where vote_rank = 1
    group by item_id, annotator_id
    having count(*) = 1

),

scored as (

    select
        evidence.annotator_id,
        evidence.item_id,
        evidence.label,
        evidence.evidence_at,
        evidence.round_from_latest,
        leave_one_out.loo_label,
        item_labels.label as consensus_label,
        item_labels.n_annotators,
        posteriors.posterior as given_label_posterior
    from evidence
    left join leave_one_out
        on
            evidence.item_id = leave_one_out.item_id
            and evidence.annotator_id = leave_one_out.annotator_id
    left join item_labels
        on evidence.item_id = item_labels.item_id
    left join posteriors
        on
            evidence.item_id = posteriors.item_id
            and evidence.label = posteriors.label

),

annotators as (

    select
        annotator_id,
        count(*) as n_annotations,
        count(distinct item_id) as n_items,
        count(distinct case when n_annotators >= 2 then item_id end) as n_items_shared,
        count(distinct label) as n_labels_used,
        min(evidence_at) as first_annotated_at,
        max(evidence_at) as last_annotated_at,
        avg(case when consensus_label is not null then (case when label = consensus_label then 1.0 else 0.0 end) end)
            as consensus_agreement,
        count(case when round_from_latest = 1 and loo_label is not null then 1 end) as n_loo_items,
        avg(case when round_from_latest = 1 and loo_label is not null then (case when label = loo_label then 1.0 else 0.0 end) end)
            as loo_accuracy,
        avg(given_label_posterior order by item_id) as dawid_skene_accuracy
    from scored
    group by annotator_id

),

final as (

    select
        annotator_id,
        annotator_id = '(anonymous)' as is_anonymous,
        n_annotations,
        n_items,
        n_items_shared,
        n_labels_used,
        first_annotated_at,
        last_annotated_at,
        consensus_agreement,
        n_loo_items,
        loo_accuracy,
        {#- without overlap Dawid-Skene cannot tell an annotator's accuracy from the data -#}
        
        case when n_items_shared > 0 then dawid_skene_accuracy end as dawid_skene_accuracy,
        case
            when n_items_shared = 0 then 'no item shared with another annotator'
            when n_loo_items = 0 then 'the other annotators never have a majority without a tie'
        end as loo_not_applicable_reason,
        '{{ current_build_id() }}' as build_id
    from annotators

)

select * from final
