{#- Per landed file: rows read from the landing source = rows accepted + rows quarantined. -#}
{%- set kinds = {
    'items': 'int_items_validated',
    'annotations': 'int_annotations_validated',
    'reviews': 'int_reviews_validated',
    'deletions': 'int_deletions_validated',
} -%}

with

landed as (

    {% for kind in kinds %}
        select
            source_file,
            count(*) as n_landed
        from {{ source('landing', kind) }}
        group by source_file
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

accepted as (

    {% for model in kinds.values() %}
        select
            source_file,
            count(*) as n_accepted
        from {{ ref(model) }}
        where reason_code is null
        group by source_file
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

quarantined as (

    select
        source_file,
        count(*) as n_quarantined
    from {{ ref('int_quarantine_redacted') }}
    group by source_file

),

reconciled as (

    select
        coalesce(landed.source_file, accepted.source_file, quarantined.source_file) as source_file,
        coalesce(landed.n_landed, 0) as n_landed,
        coalesce(accepted.n_accepted, 0) as n_accepted,
        coalesce(quarantined.n_quarantined, 0) as n_quarantined
    from landed
    full outer join accepted
        on landed.source_file = accepted.source_file
    full outer join quarantined
        on coalesce(landed.source_file, accepted.source_file) = quarantined.source_file

)

select *
from reconciled
where n_landed != n_accepted + n_quarantined
