{#- True when the digits of a text pass the Luhn check (non-digits are ignored; no digits: false). DuckDB SQL. -#}
{#-
    From the right, digits in odd places count as they are and digits in even places doubled,
    minus 9 when the double exceeds 9 (the digits 5-9). The sum must end in 0.
-#}
{% macro pii_luhn_valid(expression) -%}
    list_transform(
        [reverse(regexp_replace({{ expression }}, '[^0-9]', '', 'g'))],
        lambda pii_digits: length(pii_digits) > 0 and (
            list_sum(string_split('0' || regexp_replace(pii_digits, '(.).?', '\1', 'g'), '')::integer[])
            + 2 * list_sum(string_split('0' || regexp_replace(pii_digits, '.(.?)', '\1', 'g'), '')::integer[])
            - 9 * length(regexp_replace(regexp_replace(pii_digits, '.(.?)', '\1', 'g'), '[0-4]', '', 'g'))
        ) % 10 = 0
    )[1]
{%- endmacro %}
