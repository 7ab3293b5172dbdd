{#- How a cache of values derived from content (a text's redaction, a text key's signature,
    a pair's similarity) is materialised: incremental on DuckDB, where a build computes only
    the values it has not cached yet; a table on Spark, which computes them all. -#}
{% macro cache_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#- A short fingerprint of the SQL (and settings) a cached value was computed with: a cached
    row of another fingerprint is stale and is computed again, so a changed var or macro
    never leaves old values behind. -#}
{% macro sql_fingerprint(sql) -%}
    {{ return(local_md5(sql | string)[:16]) }}
{%- endmacro %}

{#- Post-hook of a cache on DuckDB: drop the cached rows of another fingerprint and those no
    current row needs (`unneeded`: a condition on the cache's columns, e.g. a deleted item's
    or an edited text's key), so a cache keeps nothing a fresh build would not compute. -#}
{% macro cache_purge(fingerprint_column, fingerprint, unneeded) -%}
    {%- if cache_materialization() == 'incremental' -%}
        delete from {{ this }}
        where {{ fingerprint_column }} != '{{ fingerprint }}'
            or {{ unneeded }}
    {%- endif -%}
{%- endmacro %}

{#- Fingerprint of a text key's signature: the settings and hash macros it is computed with. -#}
{% macro signature_fingerprint() -%}
    {%- set settings = minhash_settings() -%}
    {{ return(sql_fingerprint([
        settings.shingle_size, settings.max_shingle_chars, settings.permutations, settings.bands,
        shingle_hash('s'), minhash_hash('h', 1), minhash_hash('h', settings.permutations),
        minhash_band_hash(['m'], 0),
    ] | join('|'))) }}
{%- endmacro %}

{#- Fingerprint of a value's redaction: the redaction and detection macros it is computed with. -#}
{% macro redaction_fingerprint() -%}
    {{ return(sql_fingerprint(redact_pii('v') ~ '|' ~ pii_found_given_redacted('v', 'r'))) }}
{%- endmacro %}

{#- Fingerprint of a verified similarity: the signature's, and the estimate's cutoff
    (near_duplicate_threshold less near_duplicate_candidate_margin) that admitted the pair. -#}
{% macro similarity_fingerprint() -%}
    {%- set settings = minhash_settings() -%}
    {{ return(sql_fingerprint(signature_fingerprint() ~ '|' ~ (settings.threshold - settings.candidate_margin))) }}
{%- endmacro %}
