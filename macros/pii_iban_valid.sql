{#- True when a text (spaces allowed, any case) is an IBAN of its country's length whose ISO 13616 mod-97 check passes. DuckDB SQL. -#}
{% macro pii_iban_valid(expression) -%}
    {#- ISO 13616 registry: country code and IBAN length. -#}
    {%- set lengths = [
        'AD24', 'AE23', 'AL28', 'AT20', 'AZ28', 'BA20', 'BE16', 'BG22', 'BH22', 'BR29', 'BY28',
        'CH21', 'CR22', 'CY28', 'CZ24', 'DE22', 'DK18', 'DO28', 'EE20', 'EG29', 'ES24', 'FI18',
        'FO18', 'FR27', 'GB22', 'GE22', 'GI23', 'GL18', 'GR27', 'GT28', 'HR21', 'HU28', 'IE22',
        'IL23', 'IQ23', 'IS26', 'IT27', 'JO30', 'KW30', 'KZ20', 'LB28', 'LC32', 'LI21', 'LT20',
        'LU20', 'LV21', 'MC27', 'MD24', 'ME22', 'MK19', 'MR27', 'MT31', 'MU30', 'NL18', 'NO15',
        'PK24', 'PL28', 'PS29', 'PT25', 'QA29', 'RO24', 'RS22', 'SA24', 'SC31', 'SE24', 'SI19',
        'SK24', 'SM27', 'ST25', 'SV28', 'TL23', 'TN24', 'TR26', 'UA29', 'VA22', 'VG24', 'XK20',
    ] -%}
    {#- 10^k mod 97 for k = 0, 1, ...: the number (up to 68 digits) exceeds BIGINT, so its
        remainder is the sum of each digit times the remainder of its place value. -#}
    {%- set ns = namespace(weight=1, weights=[]) -%}
    {%- for _ in range(70) -%}
        {%- do ns.weights.append(ns.weight) -%}
        {%- set ns.weight = ns.weight * 10 % 97 -%}
    {%- endfor -%}
    list_transform(
        [upper(replace({{ expression }}, ' ', ''))],
        lambda pii_iban: regexp_full_match(pii_iban, '[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}')
            and contains(',{{ lengths | join(",") }},', ',' || left(pii_iban, 2) || length(pii_iban) || ',')
            and list_transform(
                {#- Country and check digits move to the end; letters become 10 (A) to 35 (Z). #}
                [array_to_string(list_transform(
                    string_split(substr(pii_iban, 5) || left(pii_iban, 4), ''),
                    lambda pii_character: case
                        when pii_character between '0' and '9' then pii_character
                        else cast(ascii(pii_character) - 55 as varchar)
                    end
                ), '')],
                lambda pii_number: list_sum(list_transform(
                    range(1, length(pii_number) + 1),
                    lambda pii_position: try_cast(substr(pii_number, pii_position, 1) as integer)
                        * [{{ ns.weights | join(', ') }}][length(pii_number) - pii_position + 1]
                )) % 97 = 1
            )[1]
    )[1]
{%- endmacro %}
