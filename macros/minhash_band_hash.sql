{#- LSH bucket of one band: a hash of the band's minhash columns, so texts with an identical band share a bucket. -#}
{% macro minhash_band_hash(columns, band) -%}
    {{ return(adapter.dispatch('minhash_band_hash', 'smartloop')(columns, band)) }}
{%- endmacro %}

{#- DuckDB hashes a list of the columns; another engine hashes its array or a concatenation. -#}
{% macro default__minhash_band_hash(columns, band) -%}
    {{ minhash_hash('[' ~ columns | join(', ') ~ ']', band) }}
{%- endmacro %}
