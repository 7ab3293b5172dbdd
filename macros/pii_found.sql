{#- The PII types detected in a text, one list element per match (EMAIL, PHONE, CARD, IBAN, SSN, IP_ADDRESS, URL_SECRET, HANDLE). -#}
{% macro pii_found(expression) -%}
    {{ return(adapter.dispatch('pii_found', 'smartloop')(expression)) }}
{%- endmacro %}

{#-
    DuckDB: the placeholders that redact_pii adds, as a VARCHAR[] sorted by type name; an empty
    list when nothing is found or the text is NULL. Placeholders already in the text do not count:
    they are marked first (U+E005 before the closing >, which no detector looks at).
-#}
{% macro default__pii_found(expression) -%}
    {%- set marked -%}
        regexp_replace({{ expression }}, '{{ pii_placeholder_pattern() }}', '<\1' || chr(57349) || '>', 'g')
    {%- endset -%}
    {{ pii_placeholder_types(redact_pii(marked)) }}
{%- endmacro %}

{#- The regex of a redaction placeholder, its type in group 1. -#}
{% macro pii_placeholder_pattern() -%}
    <(CARD|EMAIL|HANDLE|IBAN|IP_ADDRESS|PHONE|SSN|URL_SECRET)>
{%- endmacro %}

{#- DuckDB: the types of the placeholders in a redacted text, sorted; an empty list for none or NULL. -#}
{% macro pii_placeholder_types(redacted) -%}
    coalesce(list_sort(regexp_extract_all({{ redacted }}, '{{ pii_placeholder_pattern() }}', 1)), []::varchar[])
{%- endmacro %}

{#- The PII types in a text given its redaction (redacted = redact_pii(expression)), as pii_found. -#}
{% macro pii_found_given_redacted(expression, redacted) -%}
    {{ return(adapter.dispatch('pii_found_given_redacted', 'smartloop')(expression, redacted)) }}
{%- endmacro %}

{#-
    DuckDB: a text without '<' holds no placeholder of its own, so pii_found marks nothing in it
    and reads the placeholders of its redaction: those of `redacted`, with no second detection.
    A text with '<' is scanned by pii_found (every other text reaches it as NULL, so DuckDB,
    which runs the detectors once per distinct value, runs them for these texts only).
-#}
{% macro default__pii_found_given_redacted(expression, redacted) -%}
    case
        when strpos({{ expression }}, '<') = 0
            then {{ pii_placeholder_types(redacted) }}
        else {{ pii_found('case when strpos(' ~ expression ~ ", '<') > 0 then " ~ expression ~ ' end') }}
    end
{%- endmacro %}
