{#- The lowest byte of each minhash of a signature, seven to a (non-negative) 64-bit word:
    word `word` (from 0) holds minhashes 7 * word + 1 to 7 * word + 7 (byte j from the lowest).
    Seven, not eight: the words stay below 2^56, so signed arithmetic (every engine has it)
    shifts and masks them alike. -#}
{% macro minhash_byte_word(signature, word, permutations) -%}
    {%- set parts = [] -%}
    {%- for j in range(7) if 7 * word + j < permutations -%}
        {%- do parts.append('((' ~ signature ~ '[' ~ (7 * word + j + 1) ~ '] & 255) << ' ~ (8 * j) ~ ')') -%}
    {%- endfor -%}
    ({{ parts | join(' | ') }})
{%- endmacro %}

{#- How many of the seven bytes of a word are not zero (0 to 7): applied to the XOR of two
    byte words, how many of their bytes differ. Each byte is folded onto its lowest bit
    (nibbles, then bit pairs, then bits, with the masks 0x0F.., 0x03.., 0x01..) and the set
    bits counted. -#}
{% macro nonzero_bytes(word) -%}
    {%- set nibbles = '((' ~ word ~ ' | (' ~ word ~ ' >> 4)) & 4238682002231055)' -%}
    {%- set pairs = '((' ~ nibbles ~ ' | (' ~ nibbles ~ ' >> 2)) & 847736400446211)' -%}
    bit_count(({{ pairs }} | ({{ pairs }} >> 1)) & 282578800148737)
{%- endmacro %}
