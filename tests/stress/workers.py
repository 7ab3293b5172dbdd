"""The stress test's helpers and child processes: a landing subset, a saver and a reader.

``python -m tests.stress.workers saver|reader ...`` runs one of them in its own OS process,
so saves, reads and builds share nothing but files, as the dashboard and the builder do.
Both go through the app's own code: ``smartloop.app_actions`` to save a review, the
``smartloop.queries`` functions (read-only, one connection per query) to read.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import shutil
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REVIEWER = "stress-saver"
READER_PAUSE_SECONDS = 1.0


def make_landing(out: Path, demo: Path, n_per_file: int) -> Path:
    """A copy of the demo landing folder with the first ``n_per_file`` items of every items
    file and the annotations of those items (deterministic: file order, then row order)."""
    for sub in ("items", "annotations", "reviews", "deletions"):
        (out / sub).mkdir(parents=True)
    shutil.copy(demo / "smartloop.yml", out / "smartloop.yml")
    kept: set[str] = set()
    for path in sorted((demo / "items").iterdir()):
        target = out / "items" / path.name
        if path.suffix == ".csv":
            with open(path, newline="", encoding="utf-8") as src:
                header, *body = list(csv.reader(src))[: n_per_file + 1]
            with open(target, "w", newline="", encoding="utf-8") as dst:
                csv.writer(dst).writerows([header, *body])
            kept.update(row[header.index("item_id")] for row in body)
        elif path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()[:n_per_file]
            target.write_text("\n".join(lines) + "\n", encoding="utf-8")
            kept.update(json.loads(line)["item_id"] for line in lines)
    for path in sorted((demo / "annotations").glob("*.parquet")):
        table = pq.read_table(path)
        keep = pc.is_in(table["item_id"], value_set=pa.array(sorted(kept), type=pa.string()))
        pq.write_table(table.filter(keep), out / "annotations" / path.name)
    return out


def _write_json(path: Path, payload: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, default=str, indent=1), encoding="utf-8")
    os.replace(tmp, path)


# --- Process A: the saver -------------------------------------------------------------------


def save_reviews(plan_file: Path, out_file: Path, seconds: float, seed: int) -> None:
    """Save every planned review as the Review queue page does, spread over ``seconds``.

    The landing folder is found as the page finds it: ``SMARTLOOP_LANDING_DIR``, else the
    folder the published build read. Review ``i`` is saved at a random moment of the
    ``i``-th of ``len(plan)`` equal intervals.
    """
    from smartloop import app_actions, queries

    landing = app_actions.landing_dir((queries.serving_info() or {}).get("landing_dir"))
    assert landing is not None and landing.is_dir(), landing
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    interval = seconds / len(plan)
    start = time.monotonic()
    saved: list[dict[str, Any]] = []
    try:
        for n, step in enumerate(plan):
            time.sleep(max(0.0, start + (n + rng.random()) * interval - time.monotonic()))
            review = app_actions.new_review(
                step["item_id"], step["action"], step["label"], REVIEWER, f"stress save {n}"
            )
            path = app_actions.write_review(landing, review)
            saved.append({**review, "file": path.name})
    finally:
        _write_json(out_file, saved)


# --- Process C: the reader ------------------------------------------------------------------


def _review_counts(build_id: str) -> dict[str, int]:
    """How many reviews one published build read, as three of its marts count them."""
    from smartloop import queries

    frame = queries._query(
        """
        select
            (select count(*) from fct_item_labels where review_id is not null)
                as n_reviewed_items,
            (select count(*) from fct_source_file_loads
                where build_id = ? and source_kind = 'reviews' and n_accepted > 0)
                as n_review_files,
            (select max(n_reviews_accepted) from rpt_pipeline_runs where build_id = ?)
                as n_reviews_accepted
        """,
        [build_id, build_id],
    )
    return {key: int(value) for key, value in frame.iloc[0].to_dict().items()}


def read_loop(stop_file: Path, out_file: Path) -> None:
    """Read through the app's query functions until ``stop_file`` exists.

    Every round clears the app's query cache, so every call opens the serving file
    read-only. Any exception is a failed read. Besides, per round: the Review queue's
    pending computation (a saved review must be pending or in the marts, never neither),
    and once per published build, whether its marts agree on how many reviews it read.
    """
    from smartloop import app_actions, queries

    # Outside a Streamlit server the query cache warns on every call that it has no runtime.
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    reads: list[tuple[str, Callable[[], Any]]] = [
        ("serving_info", queries.serving_info),
        ("last_build_status", queries.last_build_status),
        ("table_names", queries.table_names),
        ("item_count", queries.item_count),
        ("label_counts", queries.label_counts),
        ("current_run", queries.current_run),
        ("pipeline_runs", queries.pipeline_runs),
        ("failing_slices", queries.failing_slices),
        ("review_queue", queries.review_queue),
        ("known_labels", queries.known_labels),
    ]
    done: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    builds: dict[str, dict[str, int]] = {}
    invisible: dict[str, dict[str, Any]] = {}
    pending_checks = 0
    started = time.monotonic()

    def attempt(name: str, read: Callable[..., Any], *args: Any) -> Any:
        try:
            value = read(*args)
        except Exception as exc:
            failures.append(
                {
                    "read": name,
                    "at_seconds": round(time.monotonic() - started, 3),
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(limit=6),
                }
            )
            return None
        done[name] += 1
        return value

    while not stop_file.exists():
        queries._read.clear()
        results = {name: attempt(name, read) for name, read in reads}
        info = results["serving_info"]
        if info and info["build_id"] not in builds:
            counts = attempt("review_counts", _review_counts, info["build_id"])
            if counts is not None:
                builds[info["build_id"]] = counts
        # The Review queue page: reviews on disk, then the published build's view of them.
        landing = app_actions.landing_dir((info or {}).get("landing_dir"))
        path = queries.serving_file()
        stamp = attempt("file_stamp", queries._file_stamp, path)
        reviews = app_actions.read_app_reviews(landing)
        started_at = attempt("current_build_started_at", queries.current_build_started_at)
        known = attempt("known_review_ids", queries.known_review_ids)
        if (
            stamp is not None
            and started_at is not None
            and known is not None
            and attempt("file_stamp", queries._file_stamp, path) == stamp
        ):
            pending_checks += 1
            pending = app_actions.pending_reviews(reviews, started_at, known)
            pending_ids = {review["review_id"] for review in pending}
            for review in reviews:
                if review["review_id"] not in known and review["review_id"] not in pending_ids:
                    invisible.setdefault(
                        review["review_id"],
                        {**review, "build_started_at": str(started_at)},
                    )
        time.sleep(READER_PAUSE_SECONDS)

    _write_json(
        out_file,
        {
            "reads": dict(done),
            "n_reads": sum(n for name, n in done.items() if name != "file_stamp"),
            "failures": failures,
            "builds": builds,
            "pending_checks": pending_checks,
            "invisible_reviews": list(invisible.values()),
            "seconds": round(time.monotonic() - started, 1),
        },
    )


def main() -> None:
    """Command line of the child processes (run with cwd = the project, SMARTLOOP_HOME set)."""
    parser = argparse.ArgumentParser(prog="python -m tests.stress.workers")
    commands = parser.add_subparsers(dest="command", required=True)
    p_saver = commands.add_parser("saver")
    p_saver.add_argument("--plan", required=True, type=Path)
    p_saver.add_argument("--out", required=True, type=Path)
    p_saver.add_argument("--seconds", required=True, type=float)
    p_saver.add_argument("--seed", type=int, default=7)
    p_reader = commands.add_parser("reader")
    p_reader.add_argument("--stop", required=True, type=Path)
    p_reader.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    if args.command == "saver":
        save_reviews(args.plan, args.out, args.seconds, args.seed)
    else:
        read_loop(args.stop, args.out)


if __name__ == "__main__":
    main()
