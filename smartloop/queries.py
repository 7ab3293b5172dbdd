"""Every query the app runs, against the published serving file only.

Each query opens ``<home>/serving.duckdb`` read-only for that one query and closes it again,
so a build can replace the file at any time. Results are cached for a few seconds; the cache
key carries the file's modification stamp, so a newly published file is read at once.
The app never opens the warehouse file and never writes to DuckDB.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from smartloop.paths import home_dir, serving_path, status_path

CACHE_TTL_SECONDS = 10
KINDS = ("items", "annotations", "reviews", "deletions")
QUARANTINE_COLUMNS = (
    "source_kind",
    "source_file",
    "source_row_number",
    "reason_code",
    "reason_detail",
    "item_id",
    "raw_record",
    "quarantine_id",
)


class NoServingFileError(FileNotFoundError):
    """No build has been published into the home folder yet."""


def home() -> Path:
    """The home folder the app reads from (env SMARTLOOP_HOME, else ./.smartloop)."""
    return home_dir()


def serving_file() -> Path:
    """Path of the published serving file in the home folder (it may not exist yet)."""
    return serving_path(home())


def has_serving_file() -> bool:
    """Whether a build has been published, i.e. the serving file exists."""
    return serving_file().is_file()


def no_build_message() -> str:
    """The instruction shown on every page while nothing has been published."""
    return (
        f"No build has been published yet in `{home()}`. Run `smartloop build` "
        "(or `make demo` for the embedded demo), then reload."
    )


def _file_stamp(path: Path) -> tuple[int, int, int]:
    """Modification time, size and inode: changes whenever a new file is published."""
    try:
        stat = os.stat(path)
    except FileNotFoundError as exc:
        raise NoServingFileError(no_build_message()) from exc
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _read(
    path: str, stamp: tuple[int, int, int], sql: str, params: tuple[Any, ...]
) -> pd.DataFrame:
    """Run one query on a read-only connection; ``stamp`` only keys the cache."""
    del stamp
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql, list(params)).df()


def _query(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    path = serving_file()
    return _read(str(path), _file_stamp(path), sql, tuple(params))


def _in_filter(column: str, values: Iterable[str]) -> tuple[str, list[str]]:
    """A ``column in (?, ...)`` predicate and its parameters; empty values filter nothing.

    >>> _in_filter("reason_code", ["empty_text", "unknown_label"])
    ('reason_code in (?, ?)', ['empty_text', 'unknown_label'])
    >>> _in_filter("reason_code", [])
    ('true', [])
    """
    values = sorted(set(values))
    if not values:
        return "true", []
    return f"{column} in ({', '.join('?' for _ in values)})", values


def serving_info() -> dict[str, Any] | None:
    """The build the serving file holds: build_id, published_at, landing_dir."""
    frame = _query("select build_id, published_at, landing_dir from serving_info limit 1")
    return None if frame.empty else frame.iloc[0].to_dict()


def pipeline_runs() -> pd.DataFrame:
    """All runs from ``rpt_pipeline_runs``, newest first."""
    counts = ", ".join(
        f"n_{kind}_{outcome}" for kind in KINDS for outcome in ("landed", "accepted", "quarantined")
    )
    return _query(
        f"""
        select
            build_id, status, started_at, ended_at, message, n_files, {counts},
            landing_dir, invocation_id, is_current
        from rpt_pipeline_runs
        order by started_at desc nulls last, build_id desc
        """
    )


def file_loads(build_id: str) -> pd.DataFrame:
    """Per-file landed / accepted / quarantined counts of one run."""
    return _query(
        """
        select
            source_kind,
            source_file,
            source_format,
            n_landed,
            n_accepted,
            n_quarantined,
            loaded_at
        from fct_source_file_loads
        where build_id = ?
        order by source_kind, source_file
        """,
        [build_id],
    )


def item_count() -> int:
    """Number of accepted items in ``dim_items``."""
    return int(_query("select count(*) as n_items from dim_items")["n_items"].iloc[0])


def label_counts() -> pd.DataFrame:
    """Items per current label (null label = unlabelled), largest first."""
    return _query(
        """
        select label, count(*) as n_items
        from dim_items
        group by label
        order by n_items desc, label nulls last
        """
    )


def quarantine_counts() -> pd.DataFrame:
    """Quarantined rows per source_kind and reason_code."""
    return _query(
        """
        select source_kind, reason_code, count(*) as n_rows
        from rpt_quarantine
        group by source_kind, reason_code
        order by source_kind, n_rows desc, reason_code
        """
    )


def quarantine_files() -> pd.DataFrame:
    """Quarantined rows per source file."""
    return _query(
        """
        select source_kind, source_file, count(*) as n_rows
        from rpt_quarantine
        group by source_kind, source_file
        order by source_file
        """
    )


def quarantine(
    source_kinds: Iterable[str] = (),
    reason_codes: Iterable[str] = (),
    source_files: Iterable[str] = (),
) -> pd.DataFrame:
    """Quarantined rows, narrowed by any non-empty filter, in file and row order."""
    predicates, params = [], []
    for column, values in (
        ("source_kind", source_kinds),
        ("reason_code", reason_codes),
        ("source_file", source_files),
    ):
        predicate, values_params = _in_filter(column, values)
        predicates.append(predicate)
        params.extend(values_params)
    return _query(
        f"""
        select {", ".join(QUARANTINE_COLUMNS)}
        from rpt_quarantine
        where {" and ".join(predicates)}
        order by source_kind, source_file, source_row_number, quarantine_id
        """,
        params,
    )


def last_build_status() -> dict[str, Any] | None:
    """The latest build attempt from ``last_build.json``, or None before the first build.

    The file is read fresh on every call: it changes while a build runs.
    """
    path = status_path(home())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        status = json.loads(text)
    except json.JSONDecodeError:
        status = None
    if not isinstance(status, dict):
        return {"status": "unknown", "message": f"{path} is not a valid build status file."}
    if status.get("status") == "running" and not _process_alive(status.get("pid")):
        status = {
            **status,
            "status": "interrupted",
            "message": "the build stopped before it finished (killed or crashed).",
        }
    return status


def _process_alive(pid: object) -> bool:
    """Whether the builder that wrote a running status still runs (True when unknown)."""
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Tables --------------------------------------------------------------------------------


def table_names() -> set[str]:
    """The tables the serving file holds (an older build may lack newer marts)."""
    frame = _query("select table_name from duckdb_tables() where schema_name = 'main'")
    return set(frame["table_name"])


def dim_items_columns() -> pd.DataFrame:
    """The columns of dim_items and their types, in table order (for custom slices)."""
    return _query(
        "select column_name as column, data_type as type from duckdb_columns() "
        "where schema_name = 'main' and table_name = 'dim_items' order by column_index"
    )


def missing_tables(*names: str) -> list[str]:
    """Which of ``names`` the serving file lacks, in the order given."""
    present = table_names()
    return [name for name in names if name not in present]


def missing_tables_message(missing: Sequence[str]) -> str:
    """The instruction shown when the serving file predates some marts."""
    return (
        f"The published serving file has no {', '.join(f'`{name}`' for name in missing)}: "
        "it was built by an older smartloop. Run `smartloop build`, then reload."
    )


# --- Overview ------------------------------------------------------------------------------


def current_run() -> dict[str, Any] | None:
    """The run that published the serving file (``rpt_pipeline_runs``), else the newest."""
    frame = _query(
        """
        select *
        from rpt_pipeline_runs
        order by
            build_id = (select build_id from serving_info limit 1) desc,
            started_at desc nulls last
        limit 1
        """
    )
    return None if frame.empty else frame.iloc[0].to_dict()


def split_counts() -> pd.DataFrame:
    """Items and unique duplicate clusters per split."""
    return _query(
        """
        select
            coalesce(split, '(none)') as split,
            count(*) as n_items,
            count(distinct cluster_id) as n_clusters
        from dim_items
        group by all
        order by n_items desc, split
        """
    )


def model_runs() -> pd.DataFrame:
    """One row per model run (build), oldest first, with its per-split metrics."""
    return _query("select * from fct_model_runs order by trained_at, model_run_id")


def agreement(scope: str | None = None) -> pd.DataFrame:
    """Agreement rows from ``rpt_label_agreement``, for one scope or all."""
    predicate, params = _in_filter("scope", [scope] if scope else [])
    return _query(
        f"""
        select
            scope, scope_column, scope_value, metric, value, n_items, n_annotations,
            n_annotators, n_labels, not_applicable_reason
        from rpt_label_agreement
        where {predicate}
        order by scope, scope_column nulls first, scope_value nulls first, metric
        """,
        params,
    )


def pii_counts() -> pd.DataFrame:
    """Redactions per PII type and column, with how many items they touched."""
    return _query(
        """
        select
            pii_type,
            column_name,
            sum(n_redactions)::bigint as n_redactions,
            count(distinct item_id) as n_items
        from fct_pii_redactions
        group by all
        order by n_redactions desc, pii_type, column_name
        """
    )


def pii_item_count() -> int:
    """Number of items that had at least one value redacted."""
    frame = _query("select count(distinct item_id) as n_items from fct_pii_redactions")
    return int(frame["n_items"].iloc[0])


# --- Slices --------------------------------------------------------------------------------

SLICE_ITEMS_SQL = """
    select *
    from dim_items
    where split = ? and is_trainable and ({predicate})
"""


def failing_slices(split: str | None = None) -> pd.DataFrame:
    """Failing slices, per split ranked by excess errors (``rpt_failing_slices``)."""
    predicate, params = _in_filter("split", [split] if split else [])
    return _query(
        f"""
        select
            split, slice_rank, slice_id, slice_name, slice_predicate, n_predicates,
            n_items, n_errors, error_rate, wilson_lower, wilson_upper, rest_error_rate,
            error_rate_difference, excess_errors, p_value, q_value, recall_by_label,
            previous_build_id, previous_error_rate, is_new_since_previous_run, is_regressed
        from rpt_failing_slices
        where {predicate}
        order by split, slice_rank
        """,
        params,
    )


def slice_splits() -> list[str]:
    """Splits that have tested slices, in the usual order."""
    frame = _query(
        """
        select distinct split
        from fct_slice_metrics
        order by case split when 'train' then 0 when 'validation' then 1 when 'test' then 2
            else 3 end, split
        """
    )
    return frame["split"].tolist()


def slice_examples(split: str, slice_predicate: str) -> pd.DataFrame:
    """The evaluated items of one slice: text, labels, prediction, issue flag, votes.

    ``slice_predicate`` is SQL the build generated over ``dim_items`` columns
    (``rpt_failing_slices.slice_predicate``); it runs on the read-only serving file.
    """
    return _query(
        f"""
        with slice_items as ({SLICE_ITEMS_SQL.format(predicate=slice_predicate)})
        select
            slice_items.item_id,
            slice_items.text,
            slice_items.label,
            predictions.predicted_label,
            predictions.predicted_probability,
            predictions.is_correct,
            issues.item_id is not null as is_label_issue,
            issues.suggested_label,
            labels.label_method,
            labels.label_confidence,
            labels.majority_label,
            labels.majority_share,
            labels.n_annotations,
            labels.n_annotators,
            labels.label_agreement,
            labels.is_contested,
            slice_items.cluster_id,
            slice_items.source_file
        from slice_items
        left join fct_predictions as predictions
            on slice_items.item_id = predictions.item_id
        left join fct_label_issues as issues
            on slice_items.item_id = issues.item_id
        left join fct_item_labels as labels
            on slice_items.item_id = labels.item_id
        order by
            predictions.is_correct nulls first,
            issues.item_id is null,
            predictions.predicted_probability desc,
            slice_items.item_id
        """,
        [split],
    )


def slice_confusion(split: str, slice_predicate: str) -> pd.DataFrame:
    """Given label x predicted label counts inside one slice."""
    return _query(
        f"""
        with slice_items as ({SLICE_ITEMS_SQL.format(predicate=slice_predicate)})
        select
            slice_items.label,
            predictions.predicted_label,
            count(*) as n_items
        from slice_items
        inner join fct_predictions as predictions
            on slice_items.item_id = predictions.item_id
        group by all
        order by slice_items.label, predictions.predicted_label
        """,
        [split],
    )


def slice_history(split: str, slice_id: str) -> pd.DataFrame:
    """One slice's metrics in every recorded build, oldest first."""
    return _query(
        """
        select
            build_id, recorded_at, n_items, n_errors, error_rate, wilson_lower,
            wilson_upper, rest_error_rate, q_value, is_failing
        from fct_slice_metrics_history
        where split = ? and slice_id = ?
        order by recorded_at, build_id
        """,
        [split, slice_id],
    )


# --- Review queue --------------------------------------------------------------------------

QUEUE_TIERS = {
    1: "label issue in a failing slice",
    2: "label issue",
    3: "contested consensus",
    4: "annotation queue",
    5: "model error in a failing slice",
}


def _failing_slice_members_sql() -> tuple[str, list[Any]]:
    """SQL with one row per item and failing slice it belongs to, and its parameters."""
    slices = _query("select split, slice_name, slice_predicate from rpt_failing_slices")
    parts, params = [], []
    for row in slices.itertuples(index=False):
        parts.append(
            "select item_id, ? as slice_name from dim_items "
            f"where split = ? and is_trainable and ({row.slice_predicate})"
        )
        params.extend([row.slice_name, row.split])
    if not parts:
        return "select null::varchar as item_id, null::varchar as slice_name where false", []
    return "\nunion all\n".join(parts), params


def review_queue() -> pd.DataFrame:
    """Unreviewed items worth a human look, most valuable first, with why they are queued.

    Tiers: label issues inside failing slices, other label issues, contested consensus,
    the active-learning annotation queue, then model errors inside failing slices.
    ``reason`` lists every reason that applies; ``tier`` is the best one.
    """
    members_sql, params = _failing_slice_members_sql()
    return _query(
        f"""
        with

        slice_members as ({members_sql}),

        in_failing_slices as (
            select item_id, string_agg(distinct slice_name, '; ' order by slice_name)
                as failing_slices
            from slice_members
            group by item_id
        ),

        candidates as (
            select
                issues.item_id,
                case when members.item_id is null then 2 else 1 end as tier,
                issues.issue_rank as tier_rank,
                'label issue: the model suggests ' || issues.suggested_label
                    || ' (self-confidence ' || round(issues.self_confidence, 2) || ')'
                    || coalesce('; in failing slice ' || members.failing_slices, '') as reason
            from fct_label_issues as issues
            left join in_failing_slices as members
                on issues.item_id = members.item_id
            union all
            select
                item_id,
                3,
                row_number() over (order by label_confidence, item_id),
                'contested consensus: majority ' || coalesce(majority_label, '?')
                    || ', Dawid-Skene ' || coalesce(dawid_skene_label, '?')
                    || ', confidence ' || coalesce(round(label_confidence, 2)::varchar, '?')
            from fct_item_labels
            where is_contested
            union all
            select
                item_id,
                4,
                queue_rank,
                'annotation queue: ' || strategy || ' uncertainty '
                    || round(uncertainty, 2)
            from rpt_annotation_queue
            union all
            select
                predictions.item_id,
                5,
                row_number() over (
                    order by predictions.predicted_probability desc, predictions.item_id
                ),
                'model error in failing slice ' || members.failing_slices
                    || ': predicted ' || predictions.predicted_label
                    || ' (' || round(predictions.predicted_probability, 2) || ')'
            from fct_predictions as predictions
            inner join in_failing_slices as members
                on predictions.item_id = members.item_id
            where not predictions.is_correct
        ),

        per_item as (
            select
                item_id,
                min(tier) as tier,
                arg_min(tier_rank, tier) as tier_rank,
                string_agg(reason, ' | ' order by tier) as reason
            from candidates
            group by item_id
        ),

        final as (
            select
                per_item.tier,
                per_item.tier_rank,
                per_item.item_id,
                per_item.reason,
                items.text,
                items.label,
                items.split,
                predictions.predicted_label,
                predictions.predicted_probability,
                labels.label_method,
                labels.label_confidence,
                labels.majority_label,
                labels.majority_share,
                labels.dawid_skene_label,
                labels.n_annotations,
                labels.n_annotators,
                items.metadata,
                items.source_file
            from per_item
            inner join dim_items as items
                on per_item.item_id = items.item_id
            left join fct_predictions as predictions
                on per_item.item_id = predictions.item_id
            left join fct_item_labels as labels
                on per_item.item_id = labels.item_id
            where not coalesce(labels.is_reviewed, false)
        )

        select * from final
        order by tier, tier_rank, item_id
        """,
        params,
    )


def known_labels() -> list[str]:
    """Every label the published build knows: consensus, predicted and annotated labels."""
    frame = _query(
        """
        select label from dim_items where label is not null
        union
        select predicted_label from fct_predictions where predicted_label is not null
        order by label
        """
    )
    return frame["label"].tolist()


def known_review_ids() -> set[str]:
    """Review ids the published build has seen (latest per item, and in the label history)."""
    frame = _query(
        """
        select review_id from fct_item_labels where review_id is not null
        union
        select review_id from fct_label_changes where review_id is not null
        """
    )
    return set(frame["review_id"])


def current_build_started_at() -> Any:
    """When the build behind the serving file started (it read the landing folder after)."""
    frame = _query(
        """
        select coalesce(runs.started_at, info.published_at) as started_at
        from serving_info as info
        left join rpt_pipeline_runs as runs
            on info.build_id = runs.build_id
        limit 1
        """
    )
    return None if frame.empty else frame["started_at"].iloc[0]


# --- What changed --------------------------------------------------------------------------


def previous_build_id(build_id: str) -> str | None:
    """The build recorded in the slice history just before ``build_id``."""
    frame = _query(
        """
        select max(build_id) as build_id
        from fct_slice_metrics_history
        where build_id < ?
        """,
        [build_id],
    )
    value = frame["build_id"].iloc[0]
    return None if pd.isna(value) else str(value)


def label_change_counts(build_id: str) -> pd.DataFrame:
    """Label changes recorded by one build, per cause."""
    return _query(
        """
        select cause, count(*) as n_items
        from fct_label_changes
        where build_id = ? and is_label_changed
        group by cause
        order by n_items desc, cause
        """,
        [build_id],
    )


def label_changes(build_id: str) -> pd.DataFrame:
    """Labels one build changed, except the first labels of new items."""
    return _query(
        """
        select
            changes.item_id, changes.from_label, changes.to_label, changes.cause,
            changes.changed_by, changes.reason, changes.review_id, items.text
        from fct_label_changes as changes
        left join dim_items as items
            on changes.item_id = items.item_id
        where changes.build_id = ? and changes.is_label_changed and changes.cause <> 'first_label'
        order by changes.cause, changes.item_id
        """,
        [build_id],
    )


def newly_failing_slices() -> pd.DataFrame:
    """Failing slices that did not fail in the previous build."""
    return _query(
        """
        select split, slice_rank, slice_name, n_items, error_rate, previous_error_rate,
            excess_errors, is_regressed
        from rpt_failing_slices
        where is_new_since_previous_run
        order by split, slice_rank
        """
    )


def recovered_slices(build_id: str, previous_build_id: str) -> pd.DataFrame:
    """Slices that failed in the previous build and do not fail in ``build_id``."""
    return _query(
        """
        select
            previous.split,
            previous.slice_name,
            previous.error_rate as previous_error_rate,
            current_build.error_rate,
            current_build.n_items
        from fct_slice_metrics_history as previous
        left join fct_slice_metrics_history as current_build
            on previous.slice_id = current_build.slice_id
            and previous.split = current_build.split
            and current_build.build_id = ?
        where previous.build_id = ?
            and previous.is_failing
            and not coalesce(current_build.is_failing, false)
        order by previous.split, previous.slice_name
        """,
        [build_id, previous_build_id],
    )


# --- Annotators ----------------------------------------------------------------------------


def annotators() -> pd.DataFrame:
    """Annotators with their agreement and accuracy against the consensus."""
    return _query(
        """
        select
            annotator_id, n_annotations, n_items, n_items_shared, n_labels_used,
            consensus_agreement, loo_accuracy, n_loo_items, dawid_skene_accuracy,
            loo_not_applicable_reason, first_annotated_at, last_annotated_at
        from dim_annotators
        order by n_annotations desc, annotator_id
        """
    )


def annotator_confusion(annotator_id: str) -> pd.DataFrame:
    """One annotator's given labels per consensus label."""
    return _query(
        """
        select consensus_label, given_label, n_annotations, share_of_consensus_label,
            dawid_skene_probability
        from fct_annotator_confusion
        where annotator_id = ?
        order by consensus_label, given_label
        """,
        [annotator_id],
    )


def annotator_pairs() -> pd.DataFrame:
    """Pairwise agreement (Cohen's kappa) between annotators who share items."""
    return _query(
        """
        select annotator_a, annotator_b, n_shared_items, observed_agreement,
            expected_agreement, cohen_kappa, not_applicable_reason
        from fct_annotator_pairs
        order by n_shared_items desc, annotator_a, annotator_b
        """
    )
