{#- One row per item: the class confident learning guesses for it (NULL when no class reaches its threshold), as in cleanlab compute_confident_joint. -#}
{% macro confident_guesses(item_class_probabilities, confident_thresholds) -%}
with

guess_inputs as (

    select
        probabilities.item_id,
        probabilities.label,
        probabilities.class_index,
        probabilities.probability,
        probabilities.given_label,
        {# cleanlab's tolerance: p >= t - 1e-6 -#}
        probabilities.probability >= thresholds.confident_threshold - 0.000001 as is_confident,
        row_number() over (
            partition by probabilities.item_id
            order by probabilities.probability desc, probabilities.class_index asc
        ) as probability_rank
    from {{ item_class_probabilities }} as probabilities
    inner join {{ confident_thresholds }} as thresholds
        on probabilities.label = thresholds.label

),

guess_counts as (

    {# one confident class: that class; several: the row's argmax over ALL classes
        (first class index on ties), even when the argmax itself is not confident -#}
    select
        item_id,
        given_label,
        count(case when is_confident then 1 end) as n_confident_classes,
        max(case when is_confident then label end) as confident_label,
        max(case when probability_rank = 1 then label end) as argmax_label
    from guess_inputs
    group by item_id, given_label

),

final as (

    select
        item_id,
        given_label,
        n_confident_classes,
        case
            when n_confident_classes = 1 then confident_label
            when n_confident_classes > 1 then argmax_label
        end as guessed_label
    from guess_counts

)

select * from final
{%- endmacro %}
