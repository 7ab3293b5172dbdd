{#- The standard normal CDF of an expression, Phi(x), in portable SQL (see _slices_macros.yml). -#}
{% macro normal_cdf(x) -%}
    {#- Hart (1968) algorithm 5666 as written by West (2005): a rational function times
        exp(-x^2 / 2) for |x| < 7.07, a continued fraction beyond, 0 past 37. It computes the
        smaller tail directly, so a tail is accurate relatively (about 1e-8) and absolutely
        (about 2e-16), with no cancellation in 1 - Phi. -#}
    {%- set numerator = [
        0.0352624965998911, 0.700383064443688, 6.37396220353165, 33.912866078383,
        112.079291497871, 221.213596169931, 220.206867912376,
    ] -%}
    {%- set denominator = [
        0.0883883476483184, 1.75566716318264, 16.064177579207, 86.7807322029461,
        296.564248779674, 637.333633378831, 793.826512519948, 440.413735824752,
    ] -%}
    {%- set t = 'abs(cast(' ~ x ~ ' as double))' -%}
    {%- set ns = namespace(numerator=numerator[0] ~ '', denominator=denominator[0] ~ '') -%}
    {%- for coefficient in numerator[1:] -%}
        {%- set ns.numerator = '(' ~ ns.numerator ~ ') * ' ~ t ~ ' + ' ~ coefficient -%}
    {%- endfor -%}
    {%- for coefficient in denominator[1:] -%}
        {%- set ns.denominator = '(' ~ ns.denominator ~ ') * ' ~ t ~ ' + ' ~ coefficient -%}
    {%- endfor -%}
    {%- set lower_tail -%}
        case
            when {{ t }} > 37 then 0.0
            when {{ t }} < 7.07106781186547
                then exp(-{{ t }} * {{ t }} / 2) * ({{ ns.numerator }}) / ({{ ns.denominator }})
            else
                exp(-{{ t }} * {{ t }} / 2)
                / ({{ t }} + 1 / ({{ t }} + 2 / ({{ t }} + 3 / ({{ t }} + 4 / ({{ t }} + 0.65)))))
                / 2.506628274631
        end
    {%- endset -%}
    (case when cast({{ x }} as double) > 0 then 1 - {{ lower_tail }} else {{ lower_tail }} end)
{%- endmacro %}
