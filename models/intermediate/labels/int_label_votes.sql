{#- One row per item with label evidence: the weighted majority vote, ties broken by label
    name and flagged. -#}
with

evidence as (

    select * from {{ ref('int_label_evidence') }}

),

votes as (

    select
        item_id,
        label,
        sum(weight) as n_votes
    from evidence
    group by item_id, label

),

vote_ranks as (

    select
        *,
        sum(n_votes) over (partition by item_id) as total_votes,
        rank() over (partition by item_id order by n_votes desc) as vote_rank,
        row_number() over (partition by item_id order by n_votes desc, label asc) as label_rank
    from votes

),

item_votes as (

    select
        item_id,
        max(case when label_rank = 1 then label end) as majority_label,
        max(case when label_rank = 1 then n_votes end) / max(total_votes) as majority_share,
        count(case when vote_rank = 1 then 1 end) > 1 as is_tied
    from vote_ranks
    group by item_id

),

evidence_voters as (

    {#- every unnamed annotation row is a voter of its own -#}
    select
        *,
        case when annotator_id = '(anonymous)' then evidence_id else annotator_id end as voter
    from evidence

),

voters as (

    select
        item_id,
        count(case when evidence_kind = 'annotation' then 1 end) as n_annotations,
        count(distinct voter) as n_voters,
        count(distinct case when evidence_kind = 'annotation' then voter end) as n_annotators
    from evidence_voters
    group by item_id

),

final as (

    select
        item_votes.item_id,
        item_votes.majority_label,
        item_votes.majority_share,
        item_votes.is_tied,
        voters.n_annotations,
        voters.n_annotators,
        voters.n_voters
    from item_votes
    inner join voters
        on item_votes.item_id = voters.item_id

)

select * from final
