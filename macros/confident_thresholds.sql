{#- One row per class: its confident threshold, the mean probability of the class over the items labelled with it (cleanlab get_confident_thresholds). -#}
{% macro confident_thresholds(item_class_probabilities) -%}
with

threshold_inputs as (

    select * from {{ item_class_probabilities }}

),

final as (

    {# a class nobody was given gets 2 (no item reaches it); the floor is cleanlab's 2e-6 -#}
    select
        label,
        class_index,
        greatest(
            coalesce(avg(case when is_given_label then probability end), 2.0),
            0.000002
        ) as confident_threshold
    from threshold_inputs
    group by label, class_index

)

select * from final
{%- endmacro %}
