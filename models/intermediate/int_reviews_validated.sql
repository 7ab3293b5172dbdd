with

reviews as (

    select * from {{ ref('stg_landing__reviews') }}

),

labels as (

    select * from {{ ref('int_labels_mapped') }}

),

accepted_items as (

    select distinct item_id
    from {{ ref('int_items_validated') }}
    where reason_code is null

),

final as (

    select
        reviews.landed_row_id,
        reviews.source_kind,
        reviews.source_file,
        reviews.source_format,
        reviews.source_row_number,
        reviews.raw_record,
        reviews.review_id,
        reviews.item_id,
        reviews.action,
        reviews.label as label_given,
        labels.mapped_label as label,
        reviews.reviewer,
        reviews.reason,
        reviews.created_at,
        coalesce(labels.is_active, false) as is_label_active,
        case
            when reviews.parse_error is not null then 'malformed_row'
            when reviews.item_id is null then 'missing_item_id'
            when reviews.review_id is null then 'missing_review_id'
            when reviews.action is null or reviews.action not in ('confirm', 'relabel', 'ambiguous', 'unusable') then 'invalid_action'
            when reviews.action = 'relabel' and labels.label is null then 'unknown_label'
            when reviews.has_unparseable_timestamp then 'unparseable_timestamp'
            when accepted_items.item_id is null then 'unknown_item'
        end as reason_code,
        case
            when reviews.parse_error is not null then reviews.parse_error
            when reviews.item_id is null then 'item_id is empty'
            when reviews.review_id is null then 'review_id is empty'
            when reviews.action is null or reviews.action not in ('confirm', 'relabel', 'ambiguous', 'unusable')
                then 'action ''' || coalesce(reviews.action, '') || ''' is not confirm, relabel, ambiguous or unusable'
            when reviews.action = 'relabel' and labels.label is null
                then 'label ''' || coalesce(reviews.label, '') || ''' is not in the label schema'
            when reviews.has_unparseable_timestamp then 'not a timestamp: created_at'
            when accepted_items.item_id is null then 'no accepted item has item_id ''' || reviews.item_id || ''''
        end as reason_detail
    from reviews
    left join labels
        on reviews.label = labels.label
    left join accepted_items
        on reviews.item_id = accepted_items.item_id

)

select * from final
