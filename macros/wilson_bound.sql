{#- One bound of the Wilson score interval of a proportion (see _slices_macros.yml). -#}
{% macro wilson_bound(n_successes, n_trials, side='lower', z=1.959963984540054) -%}
    {%- if side not in ('lower', 'upper') -%}
        {{ exceptions.raise_compiler_error("wilson_bound: side must be 'lower' or 'upper', not '" ~ side ~ "'") }}
    {%- endif -%}
    {%- set n = 'cast(' ~ n_trials ~ ' as double)' -%}
    {%- set p = '(cast(' ~ n_successes ~ ' as double) / nullif(' ~ n ~ ', 0))' -%}
    {%- set z = 'cast(' ~ z ~ ' as double)' -%}
    {%- set z_squared = z ~ ' * ' ~ z -%}
    {#- (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), clamped so that rounding
        never puts the bound outside [0, p] (lower) or [p, 1] (upper) -#}
    {%- set bound -%}
        ({{ p }} + {{ z_squared }} / (2 * {{ n }})
        {{ '-' if side == 'lower' else '+' }} {{ z }} * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + {{ z_squared }} / (4 * {{ n }} * {{ n }})))
        / (1 + {{ z_squared }} / {{ n }})
    {%- endset -%}
    {%- if side == 'lower' -%}
        (case when {{ n }} > 0 then greatest(0.0, least({{ p }}, {{ bound }})) end)
    {%- else -%}
        (case when {{ n }} > 0 then least(1.0, greatest({{ p }}, {{ bound }})) end)
    {%- endif -%}
{%- endmacro %}
