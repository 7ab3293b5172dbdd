{#- The lowest byte of each minhash of a signature, eight to an unsigned 64-bit word: word
    `word` (from 0) holds minhashes 8 * word + 1 to 8 * word + 8 (byte j from the lowest). -#}
{% macro minhash_byte_word(signature, word, permutations) -%}
    {{ return(adapter.dispatch('minhash_byte_word', 'smartloop')(signature, word, permutations)) }}
{%- endmacro %}

{#- DuckDB: list subscripts from 1, masks and shifts on UBIGINT. -#}
{% macro default__minhash_byte_word(signature, word, permutations) -%}
    {%- set parts = [] -%}
    {%- for j in range(8) if 8 * word + j < permutations -%}
        {%- do parts.append('((' ~ signature ~ '[' ~ (8 * word + j + 1) ~ '] & 255::ubigint) << ' ~ (8 * j) ~ ')') -%}
    {%- endfor -%}
    ({{ parts | join(' | ') }})
{%- endmacro %}

{#- How many of the eight bytes of an unsigned 64-bit word are not zero (0 to 8): applied to
    the XOR of two byte words, how many of their bytes differ. -#}
{% macro nonzero_bytes(word) -%}
    {{ return(adapter.dispatch('nonzero_bytes', 'smartloop')(word)) }}
{%- endmacro %}

{#- DuckDB: each byte is folded onto its lowest bit (nibbles, then bit pairs, then bits, with
    the masks 0x0F.., 0x03.., 0x01..) and the set bits counted. -#}
{% macro default__nonzero_bytes(word) -%}
    {%- set nibbles = '((' ~ word ~ ' | (' ~ word ~ ' >> 4)) & 1085102592571150095::ubigint)' -%}
    {%- set pairs = '((' ~ nibbles ~ ' | (' ~ nibbles ~ ' >> 2)) & 217020518514230019::ubigint)' -%}
    bit_count(({{ pairs }} | ({{ pairs }} >> 1)) & 72340172838076673::ubigint)
{%- endmacro %}
