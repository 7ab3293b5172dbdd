{#- Rows of a relation with a value rounded to whole numbers so that every row group keeps its rounded total (cleanlab round_preserving_row_totals). -#}
{% macro round_preserving_row_totals(relation, group_by, order_by, value) -%}
with

rounding_inputs as (

    select
        *,
        {{ round_half_even(value) | indent(8) }} as nearest_whole,
        {{ value }} - {{ round_half_even(value) | indent(8) }} as rounding_remainder
    from {{ relation }}

),

rounding_shortfalls as (

    select
        {{ group_by }},
        {{ round_half_even('sum(' ~ value ~ ')') | indent(8) }} - sum(nearest_whole) as rounding_shortfall
    from rounding_inputs
    group by {{ group_by }}

),

rounding_ranks as (

    {# cleanlab moves the largest remainders up (an argsort reversed: ties by the later
        position) and the smallest remainders down (ties by the earlier position) -#}
    select
        rounding_inputs.*,
        rounding_shortfalls.rounding_shortfall,
        row_number() over (
            partition by rounding_inputs.{{ group_by }}
            order by rounding_inputs.rounding_remainder desc, rounding_inputs.{{ order_by }} desc
        ) as round_up_rank,
        row_number() over (
            partition by rounding_inputs.{{ group_by }}
            order by rounding_inputs.rounding_remainder asc, rounding_inputs.{{ order_by }} asc
        ) as round_down_rank
    from rounding_inputs
    inner join rounding_shortfalls
        on rounding_inputs.{{ group_by }} = rounding_shortfalls.{{ group_by }}

),

final as (

    select
        *,
        cast(
            nearest_whole
            + case
                when rounding_shortfall > 0 and round_up_rank <= rounding_shortfall then 1
                when rounding_shortfall < 0 and round_down_rank <= -rounding_shortfall then -1
                else 0
            end
            as bigint
        ) as {{ value }}_rounded
    from rounding_ranks

)

select * from final
{%- endmacro %}
