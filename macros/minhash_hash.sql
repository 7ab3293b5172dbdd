{#- A shingle's 32-bit hash: the first 8 hex digits of its md5, the same on every engine. -#}
{% macro shingle_hash(expression) -%}
    {{ hex_to_int('substr(md5(' ~ expression ~ '), 1, 8)') }}
{%- endmacro %}

{#-
    The seed-th hash function of MinHash over 32-bit shingle hashes: h * a mod 2^32 with an
    odd a below 2^31 from the md5 of the seed, a bijection of the 32-bit numbers. The
    shingle hashes are md5 bits, so under any bijection the shingle with the least value is
    a uniform draw and two texts share it with probability their Jaccard similarity; odd
    multipliers from md5 keep the permutations apart (multipliers linear in the seed would
    move them together). The product stays within a signed 64-bit integer: plain integer
    arithmetic, so every engine computes the same minhashes (an engine's own hash() differs
    between engines). About half the cost of (a * h + b) mod 2^31 - 1 in DuckDB.
-#}
{% macro minhash_hash(expression, seed) -%}
    {%- set multiplier = (local_md5('minhash-a:' ~ seed)[:8] | int(base=16)) % 2147483648 -%}
    {%- set multiplier = multiplier + 1 if multiplier % 2 == 0 else multiplier -%}
    (({{ expression }} * {{ multiplier }}) & 4294967295)
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
