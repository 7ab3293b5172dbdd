{#- One row per item: confident learning's verdict on its given label (Northcutt et al.; cleanlab find_label_issues). -#}
{% macro label_issues(probabilities, given_labels, estimator='prune_by_noise_rate', rank_by='self_confidence') -%}
{%- set estimators = ['prune_by_noise_rate', 'prune_by_class', 'both', 'confident_learning', 'paper'] -%}
{%- set rankings = ['self_confidence', 'normalized_margin'] -%}
{%- if estimator not in estimators -%}
    {{ exceptions.raise_compiler_error(
        "label_issues: estimator '" ~ estimator ~ "' is not one of " ~ estimators | join(', ') ~ ".") }}
{%- endif -%}
{%- if rank_by not in rankings -%}
    {{ exceptions.raise_compiler_error(
        "label_issues: rank_by '" ~ rank_by ~ "' is not one of " ~ rankings | join(', ') ~ ".") }}
{%- endif -%}
{%- set prunes_by_noise_rate = estimator in ['prune_by_noise_rate', 'both'] -%}
{%- set prunes_by_class = estimator in ['prune_by_class', 'both'] -%}
{#- cleanlab's label quality scores: the self-confidence, or the margin mapped onto [0, 1] -#}
{%- if rank_by == 'self_confidence' -%}
    {%- set quality_score = 'item_scores.self_confidence' -%}
{%- else -%}
    {%- set quality_score = '(item_scores.normalized_margin + 1) / 2' -%}
{%- endif -%}
with

class_probabilities as (

    {{ item_class_probabilities(probabilities, given_labels) | indent(4) }}

),

class_thresholds as (

    {{ confident_thresholds('class_probabilities') | indent(4) }}

),

class_guesses as (

    {{ confident_guesses('class_probabilities', 'class_thresholds') | indent(4) }}

),
{%- if estimator != 'confident_learning' %}

class_joint as (

    {# cleanlab 2.x prunes with the calibrated joint; the paper counted with the raw one -#}
    {{ confident_joint('class_probabilities', 'class_guesses', calibrate=estimator != 'paper') | indent(4) }}

),
{%- endif %}

argmax_ranks as (

    select
        item_id,
        label,
        row_number() over (partition by item_id order by probability desc, class_index asc) as probability_rank
    from class_probabilities

),

item_probabilities as (

    select
        item_id,
        given_label,
        max(case when is_given_label then probability end) as self_confidence,
        max(case when not is_given_label then probability end) as max_other_probability,
        max(case when class_index < given_class_index then probability end) as max_earlier_probability,
        max(case when class_index > given_class_index then probability end) as max_later_probability
    from class_probabilities
    group by item_id, given_label

),

item_scores as (

    {# cleanlab never flags an item whose given label is the argmax once 1e-6 is added to
        its probability (argmax ties go to the earlier class) -#}
    select
        item_probabilities.item_id,
        item_probabilities.given_label,
        argmax_ranks.label as suggested_label,
        item_probabilities.self_confidence,
        item_probabilities.self_confidence - item_probabilities.max_other_probability as normalized_margin,
        (
            coalesce(item_probabilities.self_confidence + 0.000001 > item_probabilities.max_earlier_probability, true)
            and coalesce(item_probabilities.self_confidence + 0.000001 >= item_probabilities.max_later_probability, true)
        ) as is_given_label_predicted
    from item_probabilities
    inner join argmax_ranks
        on
            item_probabilities.item_id = argmax_ranks.item_id
            and argmax_ranks.probability_rank = 1

),
{%- if estimator == 'paper' %}

paper_issue_count as (

    {# Table 1 of the paper: n = int(N * (1 - trace(C) / sum(C))), C the raw confident joint -#}
    select
        cast(floor(
            (select count(*) from item_scores)
            * (1.0 - cast(sum(case when given_label = guessed_label then n_items else 0 end) as double) / sum(n_items))
        ) as bigint) as n_issues
    from class_joint

),

margin_ranks as (

    select
        item_id,
        row_number() over (order by normalized_margin asc, item_id asc) as margin_rank
    from item_scores

),

flagged_items as (

    {# the n items with the lowest normalized margin (ties by item order) -#}
    select margin_ranks.item_id
    from margin_ranks
    cross join paper_issue_count
    where margin_ranks.margin_rank <= paper_issue_count.n_issues

),
{%- elif estimator == 'confident_learning' %}

flagged_items as (

    {# off-diagonal of the confident joint: items confidently guessed as another class -#}
    select item_id
    from class_guesses
    where guessed_label <> given_label

),
{%- else %}

given_label_counts as (

    select
        given_label,
        count(*) as n_items
    from item_scores
    group by given_label

),

joint_rows as (

    select
        given_label,
        max(case when given_label = guessed_label then n_items end) as n_diagonal,
        count(case when n_items <> 0 then 1 end) as n_nonzero
    from class_joint
    group by given_label

),

prune_counts as (

    {# cleanlab _keep_at_least_n_per_class (n = 1, frac_noise = 1): a class whose diagonal
        is empty takes one item back, spread evenly over the non-zero cells of its row, and
        the counts are truncated to whole numbers -#}
    select
        class_joint.given_label,
        class_joint.guessed_label,
        case
            when class_joint.given_label = class_joint.guessed_label
                then greatest(joint_rows.n_diagonal, 1)
            else cast(floor(greatest(
                class_joint.n_items
                - cast(greatest(1 - joint_rows.n_diagonal, 0) as double) / greatest(joint_rows.n_nonzero - 1, 1),
                0
            )) as bigint)
        end as n_prune
    from class_joint
    inner join joint_rows
        on class_joint.given_label = joint_rows.given_label

),
{%- if prunes_by_noise_rate %}

noise_margin_ranks as (

    {# per given label k and other class j: the items labelled k by p_j - p_k, largest first -#}
    select
        class_probabilities.item_id,
        class_probabilities.given_label,
        class_probabilities.label,
        row_number() over (
            partition by class_probabilities.given_label, class_probabilities.label
            order by
                class_probabilities.probability - item_scores.self_confidence desc,
                class_probabilities.item_id asc
        ) as margin_rank
    from class_probabilities
    inner join item_scores
        on class_probabilities.item_id = item_scores.item_id
    where not class_probabilities.is_given_label

),

noise_rate_issues as (

    {# the first C[k][j] of them, for every j; a class of one item is never pruned -#}
    select distinct noise_margin_ranks.item_id
    from noise_margin_ranks
    inner join prune_counts
        on
            noise_margin_ranks.given_label = prune_counts.given_label
            and noise_margin_ranks.label = prune_counts.guessed_label
    inner join given_label_counts
        on noise_margin_ranks.given_label = given_label_counts.given_label
    where given_label_counts.n_items > 1 and noise_margin_ranks.margin_rank <= prune_counts.n_prune

),
{%- endif %}
{%- if prunes_by_class %}

self_confidence_ranks as (

    select
        item_id,
        given_label,
        row_number() over (partition by given_label order by self_confidence asc, item_id asc) as self_confidence_rank
    from item_scores

),

class_issues as (

    {# per given label k: the n_k - C[k][k] items least confident in k -#}
    select self_confidence_ranks.item_id
    from self_confidence_ranks
    inner join prune_counts
        on
            self_confidence_ranks.given_label = prune_counts.given_label
            and self_confidence_ranks.given_label = prune_counts.guessed_label
    inner join given_label_counts
        on self_confidence_ranks.given_label = given_label_counts.given_label
    where
        given_label_counts.n_items > 1
        and self_confidence_ranks.self_confidence_rank <= given_label_counts.n_items - prune_counts.n_prune

),
{%- endif %}

flagged_items as (
{% if estimator == 'both' %}
    select noise_rate_issues.item_id
    from noise_rate_issues
    inner join class_issues
        on noise_rate_issues.item_id = class_issues.item_id
{% elif prunes_by_noise_rate %}
    select item_id from noise_rate_issues
{% else %}
    select item_id from class_issues
{% endif %}
),
{%- endif %}

verdicts as (

    select
        item_scores.*,
        {{ quality_score }} as quality_score,
        flagged_items.item_id is not null
        {%- if estimator != 'paper' %} and not item_scores.is_given_label_predicted{% endif %} as is_label_issue
    from item_scores
    left join flagged_items
        on item_scores.item_id = flagged_items.item_id

),

ranked as (

    select
        *,
        case
            when is_label_issue
                then row_number() over (partition by is_label_issue order by quality_score asc, item_id asc)
        end as issue_rank
    from verdicts

),

final as (

    select
        item_id,
        given_label,
        suggested_label,
        self_confidence,
        normalized_margin,
        is_label_issue,
        issue_rank,
        quality_score,
        '{{ estimator }}' as estimator
    from ranked

)

select * from final
{%- endmacro %}
