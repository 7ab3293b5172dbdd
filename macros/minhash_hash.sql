{#- Seeded 64-bit hash for MinHash: one hash function per seed, the same value and seed always give the same number. -#}
{% macro minhash_hash(expression, seed) -%}
    {{ return(adapter.dispatch('minhash_hash', 'smartloop')(expression, seed)) }}
{%- endmacro %}

{#- DuckDB: hash() is the engine's own 64-bit hash (stable for a given DuckDB version). Its
    two-argument form only XORs a per-seed constant into one shared value, which correlates
    the permutations and widens the Jaccard estimate's spread, so the seed's constant is
    XORed in and the result hashed again. Another engine implements <adapter>__minhash_hash
    with its own 64-bit hash (e.g. xxhash64 in Spark, farm_fingerprint in BigQuery). -#}
{% macro default__minhash_hash(expression, seed) -%}
    {%- set seed_mask = ((seed | int) + 1) * 11400714819323198485 % 18446744073709551616 -%}
    hash(xor(hash({{ expression }}), {{ seed_mask }}::ubigint))
{%- endmacro %}
