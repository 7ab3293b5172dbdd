{#- The near-duplicate vars, checked: a value that cannot work stops the build with one sentence naming the var. -#}
{% macro minhash_settings() -%}
    {%- set settings = {
        'threshold': var('near_duplicate_threshold') | float,
        'shingle_size': var('shingle_size') | int,
        'max_shingle_chars': var('max_shingle_chars') | int,
        'permutations': var('minhash_permutations') | int,
        'bands': var('minhash_bands') | int,
        'bucket_window': var('minhash_bucket_window') | int,
        'candidate_margin': var('near_duplicate_candidate_margin') | float,
    } -%}
    {%- if not (0 < settings.threshold <= 1) -%}
        {{ exceptions.raise_compiler_error("near_duplicate_threshold must be above 0 and at most 1, got " ~ var('near_duplicate_threshold') ~ ".") }}
    {%- endif -%}
    {%- if not (0 <= settings.candidate_margin < settings.threshold) -%}
        {{ exceptions.raise_compiler_error("near_duplicate_candidate_margin must be at least 0 and below near_duplicate_threshold, got " ~ var('near_duplicate_candidate_margin') ~ ".") }}
    {%- endif -%}
    {%- for name, var_name in [
        ('shingle_size', 'shingle_size'), ('max_shingle_chars', 'max_shingle_chars'),
        ('permutations', 'minhash_permutations'), ('bands', 'minhash_bands'),
        ('bucket_window', 'minhash_bucket_window'),
    ] -%}
        {%- if settings[name] < 1 -%}
            {{ exceptions.raise_compiler_error(var_name ~ " must be a whole number of at least 1, got " ~ var(var_name) ~ ".") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if settings.permutations % settings.bands != 0 -%}
        {{ exceptions.raise_compiler_error("minhash_permutations (" ~ settings.permutations ~ ") must be a multiple of minhash_bands (" ~ settings.bands ~ ").") }}
    {%- endif -%}
    {%- do settings.update({'rows_per_band': settings.permutations // settings.bands}) -%}
    {{ return(settings) }}
{%- endmacro %}
