{#- One row per retained item that has label evidence or a review: its consensus label, how
    it was reached, and how far the annotators agree. -#}
{%- set consensus_method = var('consensus_method') -%}
{%- set authoritative = var('review_weight') == 'authoritative' -%}

with

evidence as (

    select * from {{ ref('int_label_evidence') }}

),

votes as (

    select * from {{ ref('int_label_votes') }}

),

posterior_ranks as (

    select
        *,
        row_number() over (partition by item_id order by posterior desc, label asc) as posterior_rank
    from {{ ref('int_label_posteriors') }}

),

dawid_skene as (

    select
        item_id,
        label as dawid_skene_label,
        posterior as dawid_skene_posterior
    from posterior_ranks
    where posterior_rank = 1

),

reviews as (

    select * from {{ ref('int_item_reviews') }}

),

evidence_summary as (

    {#- fingerprints tell apart, in the label history, new evidence from a schema remap. The
        entries are sorted, which is evidence_id order (landed row ids, all 32 hex digits): an
        unordered list sorted afterwards costs a third of an ordered string_agg (2.4 s at 1M
        items) -#}
    select
        item_id,
        md5(array_to_string(list_sort(list(evidence_id || ':' || label_given)), ',')) as evidence_fingerprint,
        md5(array_to_string(list_sort(list(evidence_id || ':' || label_given || '>' || label)), ','))
            as mapping_fingerprint,
        count(case when label_given <> label then 1 end) as n_remapped,
        max(evidence_at) as last_evidence_at
    from evidence
    group by item_id

),

latest_evidence as (

    {#- the newest annotation: by time, then landing order (annotations may have no time) -#}
    select
        item_id,
        annotator_id as last_annotator_id,
        row_number() over (
            partition by item_id
            order by evidence_at desc nulls last, source_file desc, source_row_number desc
        ) as evidence_rank
    from evidence
    where evidence_kind = 'annotation'

),

labelled_items as (

    select item_id from votes
    union
    select item_id from reviews

),

decided as (

    select
        labelled_items.item_id,
        votes.majority_label,
        votes.majority_share,
        dawid_skene.dawid_skene_label,
        dawid_skene.dawid_skene_posterior,
        reviews.review_id,
        reviews.action as review_action,
        reviews.label as review_label,
        reviews.reviewer as reviewed_by,
        reviews.reason as review_reason,
        reviews.created_at as reviewed_at,
        coalesce(votes.is_tied, false) as is_tied,
        coalesce(votes.n_annotations, 0) as n_annotations,
        coalesce(votes.n_annotators, 0) as n_annotators,
        coalesce(reviews.n_reviews, 0) as n_reviews,
        case
            {% if authoritative %}
                when reviews.label is not null then 'review'
            {% endif %}
            when votes.item_id is null then null
            {% if consensus_method == 'majority' %}
                else 'majority'
            {% elif consensus_method == 'dawid_skene' %}
                else 'dawid_skene'
            {% else %}
                when votes.n_voters >= 2 then 'dawid_skene'
                else 'majority'
            {% endif %}
        end as label_method
    from labelled_items
    left join votes
        on labelled_items.item_id = votes.item_id
    left join dawid_skene
        on labelled_items.item_id = dawid_skene.item_id
    left join reviews
        on labelled_items.item_id = reviews.item_id

),

labelled as (

    select
        *,
        case label_method
            when 'review' then review_label
            when 'dawid_skene' then dawid_skene_label
            when 'majority' then majority_label
        end as label,
        case label_method
            when 'review' then 1.0
            when 'dawid_skene' then dawid_skene_posterior
            when 'majority' then majority_share
        end as label_confidence
    from decided

),

agreement as (

    select
        labelled.item_id,
        avg(case when evidence.label = labelled.label then 1.0 else 0.0 end) as label_agreement
    from labelled
    inner join evidence
        on labelled.item_id = evidence.item_id
    where evidence.evidence_kind = 'annotation' and labelled.n_annotators >= 2
    group by labelled.item_id

),

final as (

    select
        labelled.item_id,
        labelled.label,
        labelled.label_method,
        labelled.label_confidence,
        labelled.n_annotations,
        labelled.n_annotators,
        agreement.label_agreement,
        labelled.is_tied,
        coalesce(
            labelled.label_method <> 'review'
            and labelled.n_annotators >= 2
            and (
                labelled.is_tied
                or labelled.label_confidence < {{ var('contested_below') }}
                or labelled.majority_label <> labelled.dawid_skene_label
            ),
            false
        ) as is_contested,
        labelled.review_id is not null as is_reviewed,
        labelled.label is not null
        and coalesce(labelled.review_action not in ('ambiguous', 'unusable'), true) as is_trainable,
        labelled.majority_label,
        labelled.majority_share,
        labelled.dawid_skene_label,
        labelled.dawid_skene_posterior,
        labelled.review_id,
        labelled.review_action,
        labelled.reviewed_by,
        labelled.review_reason,
        labelled.reviewed_at,
        labelled.n_reviews,
        coalesce(evidence_summary.n_remapped, 0) as n_remapped,
        evidence_summary.last_evidence_at,
        latest_evidence.last_annotator_id,
        evidence_summary.evidence_fingerprint,
        evidence_summary.mapping_fingerprint,
        '{{ current_build_id() }}' as build_id
    from labelled
    left join agreement
        on labelled.item_id = agreement.item_id
    left join evidence_summary
        on labelled.item_id = evidence_summary.item_id
    left join latest_evidence
        on labelled.item_id = latest_evidence.item_id and latest_evidence.evidence_rank = 1

)

select * from final
