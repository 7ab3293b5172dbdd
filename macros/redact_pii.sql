{#- Text with every detected piece of personal data replaced by a typed placeholder such as <EMAIL>.
    Its steps' column is named pii_text, and only this macro and pii_found name a column so:
    the PII lineage gate (smartloop/pii_lineage.py) treats a path through it as redacted. -#}
{% macro redact_pii(expression) -%}
    {{ return(adapter.dispatch('redact_pii', 'smartloop')(expression)) }}
{%- endmacro %}

{#-
    DuckDB: one pass per detector, in this order (a placeholder never matches a later detector):
    URL credentials and secret query values, e-mail addresses, @handles, IBANs (mod-97), payment
    cards (Luhn), US SSNs, IPv6 and IPv4 addresses, phone numbers by format, glued to their
    neighbours (as in SMS), then phone numbers and short codes announced by a keyword ("call 87121",
    "text WIN to 80082").
    RE2 has no look-around, so the context that rules a match in or out is matched as a kept
    prefix or suffix and judged afterwards: by regex (pii_replace_checked) or, for checksums, by
    SQL (pii_substitute). Matches are marked with the private-use characters U+E000-U+E004, which
    are removed from the input first.
    The result is a scalar subquery over a chain of one-row CTEs, pii_0 (the input) to pii_n, one
    or a few per pass; every detector's match holds a digit, @, = or :, so a text without any
    skips the chain and passes through as it is (53% of the demo's comments, 67% of the SMS Spam
    Collection's messages). Flat CTEs bind fast (nested lambdas take exponential time to bind)
    and stay within sqlfluff's parse depth in the calling model, and DuckDB runs the chain once
    per distinct text. So the expression cannot use a lambda parameter: redact a list with
    unnest, not with list_transform. Regexes live in set blocks: a Jinja string literal turns \b
    into a backspace.
-#}
{% macro default__redact_pii(expression) -%}
    {%- set stages = [] -%}

    {#- URL_SECRET: the user info of a URL, and the value of a secret-looking parameter. -#}
    {%- set stage -%}
        regexp_replace(pii_text, '(\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#@<>]+@', '\1<URL_SECRET>@', 'g')
    {%- endset -%}
    {%- do stages.append(stage) -%}
    {%- set secret_parameter -%}
        (?i)((?:^|[?&;#\s])(?:access_token|refresh_token|id_token|auth_token|api_key|apikey|api-key|client_secret|session_id|sessionid|session|sid|password|passwd|pwd|secret|token|key|auth|signature)=)[^&#;\s<>"'']*[^&#;\s<>"''.,:!?)]
    {%- endset -%}
    {%- set stage -%}
        regexp_replace(pii_text, '{{ secret_parameter }}', '\1<URL_SECRET>', 'g')
    {%- endset -%}
    {%- do stages.append(stage) -%}

    {#-
        EMAIL, then HANDLE: an @name not glued to a word, an e-mail or a placeholder. A bare
        domain (@gmail.com) is not a handle: its at sign is hidden (U+E004) while handles are
        replaced, in two passes because the match takes the character after the domain.
    -#}
    {%- set stage -%}
        regexp_replace(pii_text, '[\p{L}\p{N}_%+](?:[\p{L}\p{N}._%+''-]*[\p{L}\p{N}_%+-])?@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}', '<EMAIL>', 'g')
    {%- endset -%}
    {%- do stages.append(stage) -%}
    {%- set handle_lead -%} (^|[^\p{L}\p{N}_.%+<>@=&-]) {%- endset -%}
    {%- set bare_domain -%}
        {{ handle_lead }}@((?:[A-Za-z0-9_-]+\.)+(?i:com|net|org|edu|gov|io|co|uk|de|fr|es|it|nl|ru|br|in|au|ca|jp|info|biz))($|[^A-Za-z0-9_.]|\.(?:$|[^A-Za-z0-9_]))
    {%- endset -%}
    {%- set stage -%}
        regexp_replace(pii_text, '{{ bare_domain }}', '\1' || chr(57348) || '\2\3', 'g')
    {%- endset -%}
    {%- do stages.append(stage) -%}
    {%- set stage -%}
        regexp_replace(pii_text, '{{ bare_domain }}', '\1' || chr(57348) || '\2\3', 'g')
    {%- endset -%}
    {%- do stages.append(stage) -%}
    {%- set stage -%}
        replace(regexp_replace(pii_text, '{{ handle_lead }}@_*[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*', '\1<HANDLE>', 'g'), chr(57348), '@')
    {%- endset -%}
    {%- do stages.append(stage) -%}

    {#- IBAN: country, check digits, 11-30 characters plain or in groups of four (all upper or all lower case); mod-97 valid. -#}
    {%- set iban_pattern -%}
        (^|[^0-9A-Za-z])([A-Z]{2}[0-9]{2}(?:[0-9A-Z]{11,30}|(?: [0-9A-Z]{4}){2,7}(?: [0-9A-Z]{1,3})?)|[a-z]{2}[0-9]{2}(?:[0-9a-z]{11,30}|(?: [0-9a-z]{4}){2,7}(?: [0-9a-z]{1,3})?))\b()
    {%- endset -%}
    {%- do stages.append({'pattern': iban_pattern, 'is_pii': pii_iban_valid('pii_match[3]'), 'placeholder': '<IBAN>'}) -%}

    {#-
        CARD: 13-19 digits, plain, in groups of four (spaces or dashes) or 4-6-4/5, with the issuer
        prefix and length of a card scheme and a valid Luhn check digit; not after "ISBN", "IMEI",
        "EAN", an IBAN-like head or (when grouped) another digit group.
    -#}
    {%- set card_pattern -%}
        (^|[^0-9A-Za-z_.,/+-]|(?i:\b(?:isbn(?:-1[03])?|imei|ean|upc)\b:?) ?|[0-9A-Z]*[0-9][ -]|[A-Z]{2}[0-9]{2}(?: [0-9A-Z]{4})* )([1-9][0-9]{12,}|[1-9][0-9]{3}(?: [0-9]{4}){2,3}(?: [0-9]{1,4})?|[1-9][0-9]{3}(?:-[0-9]{4}){2,3}(?:-[0-9]{1,4})?|[1-9][0-9]{3}[ -][0-9]{6}[ -][0-9]{4,5})\b()
    {%- endset -%}
    {#- Issuer prefixes and lengths: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir. -#}
    {%- set card_scheme -%}
        4(?:[0-9]{12}|[0-9]{15}|[0-9]{18})|(?:5[1-5][0-9]{2}|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|3[47][0-9]{13}|(?:6011|64[4-9][0-9]|65[0-9]{2})(?:[0-9]{12}|[0-9]{15})|35(?:2[89]|[3-8][0-9])[0-9]{12,15}|3(?:0[0-59]|[689][0-9])[0-9]{11}|3(?:0[0-59]|[89][0-9])[0-9]{13}|62[0-9]{14,17}|(?:5018|5020|5038|5893|6304|6759|676[1-3])[0-9]{8,15}|220[0-4][0-9]{12}
    {%- endset -%}
    {%- set card_check -%}
        not regexp_matches(pii_match[2], '[A-Za-z]')
        and not (regexp_matches(pii_match[2], '[0-9]') and regexp_matches(pii_match[3], '[ -]'))
        and regexp_full_match(regexp_replace(pii_match[3], '[^0-9]', '', 'g'), '{{ card_scheme }}')
        and {{ pii_luhn_valid('pii_match[3]') }}
    {%- endset -%}
    {%- do stages.append({'pattern': card_pattern, 'is_pii': card_check, 'placeholder': '<CARD>'}) -%}

    {#- SSN: AAA-GG-SSSS without area 000, 666 or 900-999, group 00 or serial 0000. -#}
    {%- set ssn_pattern -%}
        (^|[^0-9A-Za-z_./+-])(?:00[1-9]|0[1-9][0-9]|[1-5][0-9]{2}|6[0-5][0-9]|66[0-57-9]|6[7-9][0-9]|[78][0-9]{2})-(?:0[1-9]|[1-9][0-9])-(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})\b
    {%- endset -%}
    {%- set stage -%}
        regexp_replace(pii_text, '{{ ssn_pattern }}', '\1<SSN>', 'g')
    {%- endset -%}
    {%- do stages.append(stage) -%}

    {#- IP_ADDRESS: IPv6 (full, compressed, IPv4-mapped; at least two groups), then IPv4; not after "version", "build", "v" or a product name. -#}
    {%- set digits_free -%} [^0-9\x{E000}-\x{E003}]* {%- endset -%}
    {%- set letter_free -%} [^A-Za-z\x{E000}-\x{E003}]* {%- endset -%}
    {%- set octet -%} (?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]) {%- endset -%}
    {%- set ipv4 -%} (?:{{ octet }}\.){3}{{ octet }} {%- endset -%}
    {%- set h -%} [0-9A-Fa-f]{1,4} {%- endset -%}
    {%- set ipv6 -%}
        (?:{{ h }}:){7}{{ h }}|(?:{{ h }}:){2,7}:|(?:{{ h }}:){1,6}:{{ h }}|(?:{{ h }}:){1,5}(?::{{ h }}){1,2}|(?:{{ h }}:){1,4}(?::{{ h }}){1,3}|(?:{{ h }}:){1,3}(?::{{ h }}){1,4}|(?:{{ h }}:){1,2}(?::{{ h }}){1,5}|{{ h }}:(?::{{ h }}){1,6}|:(?::{{ h }}){2,7}|(?:{{ h }}:){6}{{ ipv4 }}|::(?:ffff(?::0{1,4})?:)?{{ ipv4 }}|(?:{{ h }}:){1,4}:{{ ipv4 }}
    {%- endset -%}
    {%- set ipv6_pattern -%}
        (^|[^0-9A-Za-z_:.])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3})([0-9A-Za-z_]?)
    {%- endset -%}
    {%- do stages.append(pii_replace_checked('pii_text', ipv6_pattern, '<IP_ADDRESS>', ipv6)) -%}
    {%- set ipv4_pattern -%}
        (^|[^0-9A-Za-z_.]|(?i:\b(?:versions?|ver|build|release|firmware|update|android|ios|chrome|firefox|windows|python|node|v))\.? ?)([0-9]{1,3}(?:\.[0-9]+){3,})()
    {%- endset -%}
    {%- do stages.append(pii_replace_checked('pii_text', ipv4_pattern, '<IP_ADDRESS>', ipv4, prefix_accept=letter_free)) -%}

    {#-
        PHONE by format: +CC international, then 00CC international, North American, (area) local
        and national with a trunk 0. Groups after the first need a separator and a number ends in
        a group of 3+ digits or two groups of 2, so "0800 123 4567 24/7" stops before "24". A
        national number is kept as it is after a reference keyword ("order", "ISBN", "ref"), an
        IBAN-like head or another digit group (the prefix); any number is kept when it runs on into
        a date, time, decimal or price (the suffix) or has too few or too many digits.
    -#}
    {%- set last_group -%} (?:[ .-][0-9]{3,8}|[ .-][0-9]{2}[ .-][0-9]{2}) {%- endset -%}
    {%- set international -%}
        [1-9][0-9]{0,2}(?:(?: ?\(0\))?(?:[ .-]?\([0-9]{1,5}\)|[ .-]?[0-9]{1,5})(?:[ .-]\([0-9]{1,5}\)|[ .-][0-9]{1,5}){0,4}{{ last_group }}|[0-9]{6,12})
    {%- endset -%}
    {%- set phone_suffix -%}
        \b((?:[.,:/-][0-9]|[%°€£$])?)
    {%- endset -%}
    {%- set plus_pattern -%}
        (^|[^0-9A-Za-z_#$€£¥.,/=+@&%-])(\+{{ international }}){{ phone_suffix }}
    {%- endset -%}
    {%- set plus_accept -%} \+(?:{{ digits_free }}[0-9]){8,15}{{ digits_free }} {%- endset -%}
    {%- do stages.append(pii_replace_checked('pii_text', plus_pattern, '<PHONE>', plus_accept)) -%}
    {%- set reference_keyword -%}
        (?i:\b(?:(?:order|ref|reference|invoice|inv|isbn(?:-1[03])?|tracking|ticket|case|account|acct|po|id|item|sku|serial|code|zip|postcode|iban|transaction|txn|receipt|confirmation|booking|ssn|tax|vat|pin|otp)\b|no\.|nr\.)[ .:#-]{0,3}(?:no\.?|nr\.?|number|num|#)?[ .:#-]{0,3})
    {%- endset -%}
    {%- set national_pattern -%}
        ({{ reference_keyword }}|^|[^0-9A-Za-z_#$€£¥.,/=+@&%-]|[0-9A-Z]*[0-9][ .-]|[A-Z]{2}[0-9]{2}(?: [0-9A-Z]{4})* )(00{{ international }}|(?:1[ .-])?(?:\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}|\(0?[0-9]{1,4}\) ?(?:[0-9]{2,5}(?:[ .-][0-9]{2,5}){0,2}{{ last_group }}|[0-9]{5,8})|0[1-9](?:[0-9]{0,4}(?:[ .-][0-9]{2,5}){0,3}{{ last_group }}|[0-9]{8,11})){{ phone_suffix }}
    {%- endset -%}
    {%- set national_accept -%}
        00(?:{{ digits_free }}[0-9]){8,15}{{ digits_free }}|(?:{{ digits_free }}[0-9]){9,15}{{ digits_free }}
    {%- endset -%}
    {%- set no_letter_or_digit -%} [^A-Za-z0-9\x{E000}-\x{E003}]* {%- endset -%}
    {%- do stages.append(pii_replace_checked('pii_text', national_pattern, '<PHONE>', national_accept, prefix_accept=no_letter_or_digit)) -%}

    {#-
        PHONE glued to its neighbours, as in SMS ("Help08718728876", "www.07781482378.com",
        "07946746291/07880867867", "08717890890£1.50"): 10-12 digits with a trunk 0, after
        anything but a digit, a capital, a-f, + = # or _ (or a reference keyword) and before
        anything but a hex digit, so not inside a hash. Twice, as the match takes the character
        after the number.
    -#}
    {%- set glued_pattern -%}
        ({{ reference_keyword }}|^|[^0-9A-Za-f+=#_])(0[1-9][0-9]{8,10})($|[^0-9A-Fa-f])
    {%- endset -%}
    {%- set one_character -%} [^0-9A-Za-f\x{E000}-\x{E003}]? {%- endset -%}
    {%- set one_non_hex -%} [^0-9A-Fa-f\x{E000}-\x{E003}]? {%- endset -%}
    {%- do stages.append(pii_replace_checked('pii_text', glued_pattern, '<PHONE>', '[0-9]+', prefix_accept=one_character, suffix_accept=one_non_hex)) -%}
    {%- do stages.append(pii_replace_checked('pii_text', glued_pattern, '<PHONE>', '[0-9]+', prefix_accept=one_character, suffix_accept=one_non_hex)) -%}

    {#-
        PHONE announced by a keyword: "call 87121", "text WIN to 80082", "txt STOP 2 84128",
        "ring me on 555 0134", "my number: 612345678": 5-15 digits, whatever follows ("send CHAT
        to 62220Cncl").
    -#}
    {%- set keyword_pattern -%}
        ((?i:\b(?:text|txt|sms|send|reply|msg)\b[^0-9\n]{0,25}?\b(?:to|2):? (?:no\.?:? ?)?|\b(?:my|his|her|our|their|your|ur|da) (?:num|number|no\.?|nr\.?)(?: is)?:? ?|\b(?:call|ring|dial|phone|tel|telephone|ph|mob|mobile|cell|fax|whatsapp)\b\.?:?(?: (?:number|no\.?|nr\.?|is|me|us|now|free|today|him|her|them|back|anytime|on|at|:)){0,3}:? ?)|\b[A-Z][A-Z0-9]+ to )(\+?(?:[0-9]{2,5}(?:[ .-][0-9]{2,5}){0,3}{{ last_group }}|[0-9]{5,15}))(\b(?:[.,:/-][0-9]|[%°€£$])?|[A-Za-z]+)
    {%- endset -%}
    {%- set keyword_accept -%} \+?(?:{{ digits_free }}[0-9]){5,15}{{ digits_free }} {%- endset -%}
    {%- set anything -%} [^\x{E000}-\x{E003}]* {%- endset -%}
    {%- do stages.append(pii_replace_checked('pii_text', keyword_pattern, '<PHONE>', keyword_accept, suffix_accept=anything)) -%}

    {%- set may_hold_pii = "regexp_matches(pii_text, '[0-9@=:]')" -%}
    (
        with
        pii_input as (select regexp_replace(cast({{ expression }} as varchar), '[\x{E000}-\x{E004}]', '', 'g') as pii_text),
        pii_0 as (select pii_text from pii_input where {{ may_hold_pii }}),
        {%- for stage in stages %}
            {%- if stage is mapping %}
        {{ pii_substitute('pii_' ~ loop.index0, 'pii_' ~ loop.index, stage.pattern, stage.is_pii, stage.placeholder) }}
            {%- else %}
        pii_{{ loop.index }} as (select {{ stage }} as pii_text from pii_{{ loop.index0 }})
            {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
        select pii_text from pii_{{ stages | length }}
        union all
        select pii_text from pii_input where not {{ may_hold_pii }}
    )
{%- endmacro %}

{#-
    Spark: the same detectors, run by DuckDB inside Spark's Python workers
    (smartloop_duckdb_text, registered by smartloop.spark). They are RE2 regexes, and Java's
    regex engine reads some of them differently, so both engines redact with one engine.
-#}
{% macro spark__redact_pii(expression) -%}
    {{ in_duckdb(default__redact_pii('smartloop_value'), expression) }}
{%- endmacro %}
