{#- The landing folder's own schema file replaces the seed when smartloop.yml names one. -#}
with

{% if var('label_schema_file') %}
source as (

    select
        label,
        description,
        is_active,
        replaced_by
    from {{ source('landing', 'label_schema') }}

),
{% else %}
    source as (

        select
            cast(label as varchar) as label,
            cast(description as varchar) as description,
            cast(is_active as varchar) as is_active,
            cast(replaced_by as varchar) as replaced_by
        from {{ ref('label_schema') }}

    ),
{% endif %}

final as (

    select
        {{ blank_to_null('label') }} as label,
        {{ blank_to_null('description') }} as description,
        coalesce(lower({{ blank_to_null('is_active') }}) not in ('false', 'f', '0', 'no', 'n'), true) as is_active,
        {{ blank_to_null('replaced_by') }} as replaced_by
    from source

)

select * from final
