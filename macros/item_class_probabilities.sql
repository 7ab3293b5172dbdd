{#- One row per item and class: the class index (rank of the label by name), the item's probability renormalised to sum to 1, and its given label. -#}
{% macro item_class_probabilities(probabilities, given_labels) -%}
with

raw_probabilities as (

    select
        item_id,
        label,
        probability
    from {{ probabilities }}

),

raw_given_labels as (

    select
        item_id,
        given_label
    from {{ given_labels }}

),

distinct_classes as (

    select distinct label from raw_probabilities

),

classes as (

    select
        label,
        row_number() over (order by label) - 1 as class_index
    from distinct_classes

),

item_totals as (

    select
        item_id,
        sum(probability) as total_probability
    from raw_probabilities
    group by item_id

),

final as (

    select
        raw_probabilities.item_id,
        raw_probabilities.label,
        classes.class_index,
        raw_given_labels.given_label,
        given_classes.class_index as given_class_index,
        raw_probabilities.probability / item_totals.total_probability as probability,
        raw_probabilities.label = raw_given_labels.given_label as is_given_label
    from raw_probabilities
    inner join raw_given_labels
        on raw_probabilities.item_id = raw_given_labels.item_id
    inner join item_totals
        on raw_probabilities.item_id = item_totals.item_id
    inner join classes
        on raw_probabilities.label = classes.label
    inner join classes as given_classes
        on raw_given_labels.given_label = given_classes.label

)

select * from final
{%- endmacro %}
