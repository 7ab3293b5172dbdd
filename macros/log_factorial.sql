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

{#- A select of keys and p_value: for each row of relation, the one-sided Fisher exact p-value
    P(X >= successes), X hypergeometric: draws taken from population holding
    population_successes (see _slices_macros.yml). -#}
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
            from {{ relation }} as cases
            inner join ({{ integers_up_to('select max(' ~ population_successes ~ ') from ' ~ relation) }}) as integers
                on
                    integers.n >= cases.{{ successes }}
                    and integers.n <= least(cases.{{ draws }}, cases.{{ population_successes }})
        ) as terms
    ) as scaled
    group by {{ key_list }}
{%- endmacro %}

{#- Spark has no lgamma: smartloop.spark registers one (scipy's gammaln). -#}
{% macro spark__log_factorial(x) -%}
    smartloop_lgamma(cast({{ x }} as double) + 1)
{%- endmacro %}
