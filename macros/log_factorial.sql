{#- ln(x!) of a non-negative integer expression (see _slices_macros.yml). -#}
{% macro log_factorial(x) -%}
    {{ return(adapter.dispatch('log_factorial')(x)) }}
{%- endmacro %}

{% macro default__log_factorial(x) -%}
    lgamma(cast({{ x }} as double) + 1)
{%- endmacro %}

{#- ln C(n, k), the log of a binomial coefficient, for 0 <= k <= n -#}
{% macro log_choose(n, k) -%}
    ({{ log_factorial(n) }} - {{ log_factorial(k) }} - {{ log_factorial('(' ~ n ~ ') - (' ~ k ~ ')') }})
{%- endmacro %}

{#- A select of one column n: the integers 0 to a scalar SQL expression (may be a subquery) -#}
{% macro integers_up_to(upper_bound) -%}
    {{ return(adapter.dispatch('integers_up_to')(upper_bound)) }}
{%- endmacro %}

{% macro default__integers_up_to(upper_bound) -%}
    select unnest(range(0, cast(({{ upper_bound }}) as bigint) + 1)) as n
{%- endmacro %}

{% macro spark__integers_up_to(upper_bound) -%}
    select explode(sequence(0, cast(({{ upper_bound }}) as bigint))) as n
{%- endmacro %}

{#- The last term of the upper tail of `successes` worth summing: beyond it, every term is
    below e^-760 times the largest, so exp() of its log less the largest's is exactly zero in
    double precision and adding it changes nothing. The terms rise to the mode and fall after
    it (the ratio of consecutive terms, (K - x)(D - x) / ((x + 1)(N - K - D + x + 1)), falls as
    x grows), so from x1 on they shrink at least by the ratio r1 at x1, and the tail is cut
    760 / -ln r1 terms after x1. x1 is the tail's largest term (its start or the mode) plus
    28 standard deviations, which keeps about 55 standard deviations of terms in all: the
    1,521 slice tails of the 1M benchmark sum 3.3M terms instead of 18.5M. -#}
{% macro hypergeometric_last_term(population, population_successes, draws, successes) -%}
    {%- set n = 'cast(' ~ population ~ ' as double)' -%}
    {%- set k = 'cast(' ~ population_successes ~ ' as double)' -%}
    {%- set d = 'cast(' ~ draws ~ ' as double)' -%}
    {%- set last = 'least(' ~ draws ~ ', ' ~ population_successes ~ ')' -%}
    {%- set x1 -%}
        (greatest({{ successes }}, floor(({{ d }} + 1) * ({{ k }} + 1) / ({{ n }} + 2)))
        + ceil(28 * sqrt({{ d }} * ({{ k }} / {{ n }}) * (1 - {{ k }} / {{ n }}) * ({{ n }} - {{ d }}) / greatest({{ n }} - 1, 1))))
    {%- endset -%}
    {%- set r1 -%}
        (({{ k }} - {{ x1 }}) * ({{ d }} - {{ x1 }}) / (({{ x1 }} + 1) * ({{ n }} - {{ k }} - {{ d }} + {{ x1 }} + 1)))
    {%- endset -%}
    case
        when {{ x1 }} >= {{ last }} or {{ n }} - {{ k }} - {{ d }} + {{ x1 }} + 1 <= 0 then {{ last }}
        when {{ r1 }} <= 0 or {{ r1 }} >= 1 then {{ last }}
        else least({{ last }}, cast({{ x1 }} + ceil(760 / -ln({{ r1 }})) as bigint))
    end
{%- endmacro %}

{#- A select of keys and p_value: for each row of relation, the one-sided Fisher exact p-value
    P(X >= successes), X hypergeometric: draws taken from population holding
    population_successes (see _slices_macros.yml). The sum stops at
    hypergeometric_last_term: the terms after it add exact zeros. -#}
{% macro hypergeometric_upper_tail(relation, keys, population, population_successes, draws, successes) -%}
    {%- set key_list = keys | join(', ') -%}
    select
        {{ key_list }},
        case
            when max(is_whole_distribution) = 1 then 1.0
            else least(1.0, exp(max(max_log_probability) + ln(sum(exp(log_probability - max_log_probability) order by term))))
        end as p_value
    from (
        select
            terms.*,
            {#- log-sum-exp: the largest term factored out, so nothing underflows before it must -#}
            max(log_probability) over (partition by {{ key_list }}) as max_log_probability
        from (
            select
                {%- for key in keys %}
                    cases.{{ key }},
                {%- endfor %}
                {#- the fewest successes the draws can hold: the whole distribution, p exactly 1 -#}
                case
                    when cases.{{ successes }} <= greatest(0, cases.{{ draws }} - (cases.{{ population }} - cases.{{ population_successes }}))
                        then 1
                    else 0
                end as is_whole_distribution,
                integers.n as term,
                {{ log_choose('cases.' ~ population_successes, 'integers.n') }}
                + {{ log_choose('cases.' ~ population ~ ' - cases.' ~ population_successes, 'cases.' ~ draws ~ ' - integers.n') }}
                - {{ log_choose('cases.' ~ population, 'cases.' ~ draws) }} as log_probability
            from (
                select
                    *,
                    {{ hypergeometric_last_term(population, population_successes, draws, successes) }} as tail_last_term
                from {{ relation }}
            ) as cases
            inner join ({{ integers_up_to('select max(' ~ population_successes ~ ') from ' ~ relation) }}) as integers
                on
                    integers.n >= cases.{{ successes }}
                    and integers.n <= cases.tail_last_term
        ) as terms
    ) as scaled
    group by {{ key_list }}
{%- endmacro %}

{#- Spark has no lgamma: smartloop.spark registers one (scipy's gammaln). -#}
{% macro spark__log_factorial(x) -%}
    smartloop_lgamma(cast({{ x }} as double) + 1)
{%- endmacro %}
