{#- One row per duplicate link between two retained items (item_id_a < item_id_b): exact
    links to the representative of a text key, near links between representatives. -#}
with

pairs as (

    select * from {{ ref('int_item_pairs_matched') }}

),

final as (

    select
        pair_id,
        item_id_a,
        item_id_b,
        similarity,
        kind,
        '{{ current_build_id() }}' as build_id
    from pairs

)

select * from final
