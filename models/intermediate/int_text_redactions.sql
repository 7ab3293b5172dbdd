{{ config(
    materialized=cache_materialization(),
    unique_key='value_hash',
    incremental_strategy='delete+insert',
    post_hook="{{ cache_purge('redaction_fingerprint', redaction_fingerprint(),
        'value_hash not in (select value_hash from ' ~ ref('int_item_values') ~ ' where not is_personal)') }}",
) }}

{#- A cache of redactions, one row per distinct text or metadata value of the accepted items
    that is redacted (not a personal column's, which is pseudonymised), by its md5: the value
    with its PII replaced by typed placeholders, and the PII types found. A redaction
    depends on the value alone, so a build redacts only the values it has not redacted before
    (with the same redaction macros); a post-hook drops the values no accepted item holds any
    more and those of another fingerprint. -#}
{%- set fingerprint = redaction_fingerprint() -%}

with

item_values as (

    select * from {{ ref('int_item_values') }}
    where not is_personal and landed_value is not null

),

distinct_values as (

    select
        value_hash,
        any_value(landed_value) as landed_value
    from item_values
    {% if is_incremental() -%}
    where value_hash not in (
        select value_hash from {{ this }}
        where redaction_fingerprint = '{{ fingerprint }}'
    )
    {%- endif %}
    group by value_hash

),

redacted as (

    select
        value_hash,
        landed_value,
        {{ redact_pii('landed_value') }} as redacted_value
    from distinct_values

),

final as (

    select
        value_hash,
        '{{ fingerprint }}' as redaction_fingerprint,
        redacted_value,
        {{ pii_found_given_redacted('landed_value', 'redacted_value') }} as pii_types
    from redacted

)

select * from final
