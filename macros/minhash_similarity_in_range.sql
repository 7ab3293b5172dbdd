{#- Generic test: the rows whose similarity column lies outside [min_value, max_value] (NULL fails too). -#}
{% test minhash_similarity_in_range(model, column_name, min_value, max_value=1) -%}
    select *
    from {{ model }}
    where not coalesce({{ column_name }} between {{ min_value }} and {{ max_value }}, false)
{%- endtest %}
