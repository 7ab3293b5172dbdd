{#- This build's fct_source_file_loads agrees with rpt_quarantine and the accepted rows, file by file. -#}
with

loads as (

    select * from {{ ref('fct_source_file_loads') }}
    where build_id = '{{ current_build_id() }}'

),

quarantined as (

    select
        source_file,
        count(*) as n_quarantined
    from {{ ref('int_quarantine_redacted') }}
    group by source_file

)

select loads.*
from loads
left join quarantined
    on loads.source_file = quarantined.source_file
where
    loads.n_quarantined != coalesce(quarantined.n_quarantined, 0)
    or loads.n_landed != loads.n_accepted + loads.n_quarantined
