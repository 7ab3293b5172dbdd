{#- Common table expressions that replace each regex match whose parts pass an SQL check by prefix || placeholder || suffix. DuckDB SQL. -#}
{#-
    For checks a regex cannot make, such as a checksum (otherwise use pii_replace_checked).
    source: a relation with one row and a column pii_text; target: the name of the last CTE,
    which holds the new pii_text (the others are named target_*). Renders "name as (...)" CTEs
    separated by commas, to go inside a WITH.
    pattern: RE2 with exactly three capture groups, (prefix)(body)(suffix); prefix and suffix are
    kept context (a boundary character, a keyword) and may be empty.
    is_pii: SQL condition over pii_match[2], pii_match[3] and pii_match[4] (prefix, body, suffix).
    One regexp_replace marks every match with U+E000-U+E003 (the text must not contain them), the
    text is cut into segments that end in a match, the matches are checked and the text is put
    back together. A text without a match skips those steps and passes through: the lists and
    lambdas took 1.3 s per million JSON objects and pattern, a regexp_matches 0.1 s. Each step
    is its own CTE and the regex stays outside the lambdas: a regex in a lambda is compiled for
    every vector, nested lambdas take exponential time to bind, and deep expressions exceed
    sqlfluff's parse depth in the models that call redact_pii.
-#}
{% macro pii_substitute(source, target, pattern, is_pii, placeholder) -%}
    {{ target }}_segments as (
        select
            pii_text,
            case when regexp_matches(pii_text, '{{ pattern }}') then string_split(
                regexp_replace(
                    pii_text,
                    '{{ pattern }}',
                    chr(57344) || '\1' || chr(57345) || '\2' || chr(57346) || '\3' || chr(57347),
                    'g'
                ),
                chr(57347)
            ) end as pii_segments
        from {{ source }}
    ),
    {{ target }}_matches as (
        {#- A segment becomes [text before, prefix, body, suffix], or [text] at the end. #}
        select pii_text, list_transform(
            pii_segments,
            lambda pii_segment: string_split(translate(pii_segment, chr(57345) || chr(57346), chr(57344) || chr(57344)), chr(57344))
        ) as pii_matches
        from {{ target }}_segments
    ),
    {{ target }}_checks as (
        select
            pii_text,
            pii_matches,
            list_transform(pii_matches, lambda pii_match: array_length(pii_match) = 4 and {{ is_pii }}) as pii_checks
        from {{ target }}_matches
    ),
    {{ target }} as (
        select
            case when pii_matches is not null then array_to_string(
                list_transform(
                    list_zip(pii_matches, pii_checks),
                    lambda pii_pair: pii_pair[1][1] || coalesce(
                        pii_pair[1][2] || case when pii_pair[2] then '{{ placeholder }}' else pii_pair[1][3] end || pii_pair[1][4],
                        ''
                    )
                ),
                ''
            ) else pii_text end as pii_text
        from {{ target }}_checks
    )
{%- endmacro %}
