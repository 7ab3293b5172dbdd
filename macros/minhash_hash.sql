{#- A shingle's 32-bit hash: the first 8 hex digits of its md5, the same on every engine. -#}
{% macro shingle_hash(expression) -%}
    {{ hex_to_int('substr(md5(' ~ expression ~ '), 1, 8)') }}
{%- endmacro %}

{#-
    The seed-th hash function of MinHash over 32-bit shingle hashes: (a * h + b) mod p with
    p = 2^31 - 1, a Mersenne prime, and a and b below p from the md5 of the seed: the
    textbook universal family (Carter and Wegman). a and b linear in the seed would move the
    permutations together; h * a mod 2^32, cheaper, keeps only the product's weak low bits.
    a * h + b stays within a signed 64-bit integer: plain integer arithmetic, so every
    engine computes the same minhashes (an engine's own hash() differs between engines).
-#}
{% macro minhash_hash(expression, seed) -%}
    {%- set prime = 2147483647 -%}
    {%- set multiplier = (local_md5('minhash-a:' ~ seed)[:8] | int(base=16)) % (prime - 1) + 1 -%}
    {%- set offset = (local_md5('minhash-b:' ~ seed)[:8] | int(base=16)) % prime -%}
    (({{ multiplier }} * {{ expression }} + {{ offset }}) % {{ prime }})
{%- endmacro %}

{#- A hexadecimal string (at most 15 digits) as a BIGINT. -#}
{% macro hex_to_int(expression) -%}
    {{ return(adapter.dispatch('hex_to_int', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__hex_to_int(expression) -%}
    cast(('0x' || {{ expression }}) as bigint)
{%- endmacro %}

{% macro spark__hex_to_int(expression) -%}
    cast(conv({{ expression }}, 16, 10) as bigint)
{%- endmacro %}
