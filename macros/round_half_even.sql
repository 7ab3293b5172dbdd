{#- A number rounded to the nearest whole number, halves to the even neighbour (numpy's round). -#}
{% macro round_half_even(expression) -%}
    {{ return(adapter.dispatch('round_half_even', 'smartloop')(expression)) }}
{%- endmacro %}

{% macro default__round_half_even(expression) -%}
case
    when {{ expression }} - floor({{ expression }}) < 0.5 then floor({{ expression }})
    when {{ expression }} - floor({{ expression }}) > 0.5 then floor({{ expression }}) + 1
    when mod(cast(floor({{ expression }}) as bigint), 2) = 0 then floor({{ expression }})
    else floor({{ expression }}) + 1
end
{%- endmacro %}
