{#- One row per pair of classes (given label, guessed label): the confident joint count, calibrated or not (cleanlab compute_confident_joint). -#}
{% macro confident_joint(item_class_probabilities, confident_guesses, calibrate=true) -%}
with

joint_classes as (

    select distinct
        label,
        class_index
    from {{ item_class_probabilities }}

),

joint_guesses as (

    select * from {{ confident_guesses }}

),

class_pairs as (

    select
        given_classes.label as given_label,
        given_classes.class_index as given_class_index,
        guessed_classes.label as guessed_label,
        guessed_classes.class_index as guessed_class_index
    from joint_classes as given_classes
    cross join joint_classes as guessed_classes

),

confident_counts as (

    select
        given_label,
        guessed_label,
        count(*) as n_items
    from joint_guesses
    where guessed_label is not null
    group by given_label, guessed_label

),

given_counts as (

    select
        given_label,
        count(*) as n_items
    from joint_guesses
    group by given_label

),

uncalibrated as (

    {# every class keeps at least one confident item on the diagonal -#}
    select
        class_pairs.*,
        coalesce(given_counts.n_items, 0) as n_given_items,
        case
            when class_pairs.given_label = class_pairs.guessed_label
                then greatest(coalesce(confident_counts.n_items, 0), 1)
            else coalesce(confident_counts.n_items, 0)
        end as n_confident_items
    from class_pairs
    left join confident_counts
        on
            class_pairs.given_label = confident_counts.given_label
            and class_pairs.guessed_label = confident_counts.guessed_label
    left join given_counts
        on class_pairs.given_label = given_counts.given_label

),
{%- if calibrate %}

item_total as (

    select count(*) as n_items from joint_guesses

),

row_calibrated as (

    {# each row rescaled to the number of items given that label -#}
    select
        *,
        cast(n_confident_items as double)
        / sum(n_confident_items) over (partition by given_label)
        * n_given_items as row_calibrated_count
    from uncalibrated

),

calibrated as (

    {# then the whole matrix rescaled to the number of items N: cleanlab divides by the
        float sum of the rescaled rows, which is N up to rounding, and multiplies by N; the
        exact N is used here, as a float sum depends on the order of addition -#}
    select
        row_calibrated.*,
        row_calibrated.row_calibrated_count / item_total.n_items * item_total.n_items as calibrated_count
    from row_calibrated
    cross join item_total

),

rounded as (

    {{ round_preserving_row_totals('calibrated', 'given_label', 'guessed_class_index', 'calibrated_count') | indent(4) }}

),

final as (

    select
        given_label,
        given_class_index,
        guessed_label,
        guessed_class_index,
        calibrated_count_rounded as n_items
    from rounded

)
{%- else %}

final as (

    select
        given_label,
        given_class_index,
        guessed_label,
        guessed_class_index,
        n_confident_items as n_items
    from uncalibrated

)
{%- endif %}

select * from final
{%- endmacro %}
