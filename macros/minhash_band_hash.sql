{#- LSH bucket of one band: a 60-bit md5 hash of the band number and its minhash columns, so
    texts with an identical band share a bucket, and every engine computes the same bucket. -#}
{% macro minhash_band_hash(columns, band) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append('cast(' ~ column ~ ' as varchar)') -%}
    {%- endfor -%}
    {{ hex_to_int("substr(md5(concat_ws(',', '" ~ band ~ "', " ~ parts | join(', ') ~ ")), 1, 15)") }}
{%- endmacro %}
