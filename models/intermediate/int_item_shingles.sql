{#- One row per shingle position of each distinct text key (keyed by its representative item):
    character n-grams of the first max_shingle_chars characters; a key shorter than one
    shingle is a single shingle. -#}
{%- set settings = minhash_settings() -%}

with

text_keys as (

    select * from {{ ref('int_item_text_keys') }}

),

representatives as (

    select
        item_id,
        landing_rank,
        left(text_key, {{ settings.max_shingle_chars }}) as shingled_text
    from text_keys
    where is_representative

),

positions as (

    select
        item_id,
        landing_rank,
        shingled_text,
        unnest(range(1, greatest(length(shingled_text) - {{ settings.shingle_size }} + 1, 1) + 1)) as shingle_position
    from representatives

),

final as (

    select
        item_id,
        landing_rank,
        shingle_position,
        substr(shingled_text, shingle_position, {{ settings.shingle_size }}) as shingle
    from positions

)

select * from final
