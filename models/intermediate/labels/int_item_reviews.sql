{#- One row per reviewed retained item: its latest accepted review (by created_at, then
    landing order), the decision that counts, with how many reviews the item has had. -#}
with

items as (

    select item_id from {{ ref('int_items_retained') }}

),

reviews as (

    select reviews.*
    from {{ ref('int_reviews_validated') }} as reviews
    inner join items
        on reviews.item_id = items.item_id
    where reviews.reason_code is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by item_id
            order by created_at desc nulls last, source_file desc, source_row_number desc
        ) as review_rank,
        count(*) over (partition by item_id) as n_reviews
    from reviews

),

final as (

    select
        landed_row_id,
        review_id,
        item_id,
        action,
        label_given,
        {#- a confirm or relabel to a deprecated label has no label that can be trained on -#}
        case when action in ('confirm', 'relabel') and is_label_active then label end as label,
        reviewer,
        {#- the reason is free text a reviewer typed: it is redacted like item text -#}
        {{ redact_pii('reason') }} as reason,
        created_at,
        source_file,
        source_row_number,
        n_reviews
    from ranked
    where review_rank = 1

)

select * from final
