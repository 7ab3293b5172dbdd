{#- One row per change in an item's label history (snp_item_labels): a first label, a new
    label, a review decision, or the item leaving the labelled set; who made it, when, from
    what to what, and why. -#}
with

versions as (

    select * from {{ ref('snp_item_labels') }}

),

ordered as (

    select
        *,
        lag(label) over item_history as previous_label,
        lag(label_method) over item_history as previous_label_method,
        lag(review_id) over item_history as previous_review_id,
        lag(evidence_fingerprint) over item_history as previous_evidence_fingerprint,
        lag(mapping_fingerprint) over item_history as previous_mapping_fingerprint,
        lag(dbt_valid_to) over item_history as previous_valid_to,
        row_number() over item_history as version_number,
        lead(dbt_valid_from) over item_history as next_valid_from
    from versions
    window item_history as (partition by item_id order by dbt_valid_from)

),

arrivals as (

    select
        item_id,
        dbt_valid_from as changed_at,
        build_id,
        previous_label as from_label,
        label as to_label,
        previous_label_method as from_method,
        label_method as to_method,
        review_id,
        reviewed_by,
        review_reason,
        review_action,
        last_annotator_id,
        case
            when version_number = 1 then 'first_label'
            when previous_valid_to < dbt_valid_from then 'returned'
            when review_id is not null and review_id <> coalesce(previous_review_id, '') then 'review'
            when coalesce(evidence_fingerprint, '') <> coalesce(previous_evidence_fingerprint, '') then 'annotation'
            when coalesce(mapping_fingerprint, '') <> coalesce(previous_mapping_fingerprint, '') then 'schema_remap'
            else 'consensus_reestimated'
        end as cause
    from ordered

),

described as (

    select
        item_id,
        changed_at,
        build_id,
        from_label,
        to_label,
        from_method,
        to_method,
        cause,
        case
            when cause = 'review' then reviewed_by
            when cause in ('first_label', 'annotation', 'returned') and to_method <> 'review' then last_annotator_id
            when cause in ('first_label', 'returned') then reviewed_by
        end as changed_by,
        case
            when cause = 'review' then coalesce(review_reason, 'review: ' || review_action)
            when cause = 'schema_remap'
                then 'the label schema maps ''' || coalesce(from_label, '') || ''' to ''' || coalesce(to_label, '') || ''''
            when cause = 'consensus_reestimated' then 'the consensus was re-estimated from other items'' evidence'
        end as reason,
        review_id
    from arrivals

),

departures as (

    {#- the last version of an item that left fct_item_labels -#}
    select
        item_id,
        dbt_valid_to as changed_at,
        cast(null as varchar) as build_id,
        label as from_label,
        cast(null as varchar) as to_label,
        label_method as from_method,
        cast(null as varchar) as to_method,
        'removed' as cause,
        cast(null as varchar) as changed_by,
        'the item left the labelled set (deleted, or its label evidence withdrawn)' as reason,
        cast(null as varchar) as review_id
    from ordered
    where dbt_valid_to is not null and (next_valid_from is null or next_valid_from > dbt_valid_to)

),

changes as (

    select * from described
    union all
    select * from departures

),

final as (

    {#- the key column first, though it is computed -#}
    select  -- noqa: ST06
        md5(item_id || '|' || cast(changed_at as varchar) || '|' || cause) as label_change_id,
        item_id,
        changed_at,
        build_id,
        from_label,
        to_label,
        coalesce(from_label, '') <> coalesce(to_label, '') as is_label_changed,
        from_method,
        to_method,
        cause,
        changed_by,
        reason,
        review_id
    from changes

)

select * from final
