{#- Follows replaced_by chains so every known label maps to the label it stands for today.
    The chain is unrolled (no recursive CTE, which not every engine has); a chain longer
    than max_hops can only be a cycle for schemas of fewer labels than that. Broken chains
    are flagged here and stop the build in int_labels_mapped. -#}
{%- set max_hops = 32 -%}

with

label_schema as (

    select * from {{ ref('stg_landing__label_schema') }}

),

hop_0 as (

    select
        label,
        label as mapped_label,
        replaced_by,
        0 as n_replacements
    from label_schema

),

{% for hop in range(1, max_hops + 1) %}
    hop_{{ hop }} as (

        select
            previous.label,
            coalesce(next_label.label, previous.mapped_label) as mapped_label,
            case when next_label.label is not null then next_label.replaced_by else previous.replaced_by end as replaced_by,
            previous.n_replacements + case when next_label.label is not null then 1 else 0 end as n_replacements
        from hop_{{ hop - 1 }} as previous
        left join label_schema as next_label
            on previous.replaced_by = next_label.label

    ),
{% endfor %}

final as (

    select
        chain.label,
        chain.n_replacements,
        case when chain.replaced_by is null then chain.mapped_label end as mapped_label,
        chain.replaced_by is null and coalesce(mapped.is_active, false) as is_active,
        chain.replaced_by is not null and known.label is not null as has_cycle,
        chain.replaced_by is not null and known.label is null as has_unknown_replacement
    from hop_{{ max_hops }} as chain
    left join label_schema as mapped
        on chain.mapped_label = mapped.label
    left join label_schema as known
        on chain.replaced_by = known.label

)

select * from final
