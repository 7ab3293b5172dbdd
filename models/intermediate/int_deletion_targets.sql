{#- One row per accepted deletion request with what it targets: an item id or a pseudonym. -#}
with

deletions as (

    select * from {{ ref('int_deletions_validated') }}
    where reason_code is null

),

final as (

    select
        landed_row_id as deletion_id,
        item_id,
        pseudonym,
        reason,
        requested_at,
        source_file,
        source_row_number
    from deletions

)

select * from final
