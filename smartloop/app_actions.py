"""What the dashboard writes or starts: review files in the landing folder, and builds.

The app never writes DuckDB. A review decision becomes one new JSON-lines file in the
landing folder's ``reviews/``, written under a hidden temporary name, fsynced and renamed
into place, so a build never reads half a file. The next ``smartloop build`` reads it like
any other landing file. Until then the review is *pending*: the app reads its own files back
to show it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartloop import paths
from smartloop.build import write_file_atomic
from smartloop.landing import LandingError, read_label_schema
from smartloop.settings import SettingsError, landing_settings

ACTIONS = ("confirm", "relabel", "ambiguous", "unusable")
REVIEW_FIELDS = ("review_id", "item_id", "action", "label", "reviewer", "reason", "created_at")
REVIEW_FILE_PREFIX = "app-review-"
LANDING_ENV = "SMARTLOOP_LANDING_DIR"
BUILD_LOG_NAME = "app_build.log"
MAX_REVIEWER_LENGTH = 80


class ReviewError(ValueError):
    """A review the app refuses to write; the message is one sentence for the reviewer."""


def landing_dir(published_landing: str | None) -> Path | None:
    """The landing folder reviews go to and builds read.

    Env ``SMARTLOOP_LANDING_DIR`` wins; else the folder the published build read (recorded
    in the serving file's ``serving_info``); None when neither is known.
    """
    value = os.environ.get(LANDING_ENV) or published_landing
    return Path(value).expanduser().resolve() if value else None


def reviewer_problem(reviewer: str) -> str | None:
    """Why a reviewer name cannot be used, or None when it can.

    >>> reviewer_problem("ana")
    >>> reviewer_problem("  ")
    'Enter your name as reviewer first.'
    """
    name = reviewer.strip()
    if not name:
        return "Enter your name as reviewer first."
    if "@" in name:
        return "Use a name, not an e-mail address: the reviewer name is published in the marts."
    if len(name) > MAX_REVIEWER_LENGTH:
        return f"Use a reviewer name of at most {MAX_REVIEWER_LENGTH} characters."
    return None


def new_review(
    item_id: str,
    action: str,
    label: str | None,
    reviewer: str,
    reason: str | None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One review record in the landing contract of ``reviews/``.

    ``label`` is the label the decision stands for: the current label for confirm, the new
    one for relabel, and none for ambiguous and unusable.
    """
    if action not in ACTIONS:
        raise ReviewError(f"Unknown review action {action!r} (use {', '.join(ACTIONS)}).")
    problem = reviewer_problem(reviewer)
    if problem:
        raise ReviewError(problem)
    if action in ("confirm", "relabel") and not label:
        raise ReviewError(f"A {action} review needs a label.")
    created_at = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "review_id": str(uuid.uuid4()),
        "item_id": item_id,
        "action": action,
        "label": label if action in ("confirm", "relabel") else None,
        "reviewer": reviewer.strip(),
        "reason": (reason or "").strip() or None,
        "created_at": created_at.isoformat(timespec="microseconds"),
    }


def review_path(landing: Path, review: dict[str, Any]) -> Path:
    """Where a review is written: ``reviews/app-review-<UTC time>-<review_id>.jsonl``.

    Names sort by time, so files are read in the order they were written.
    """
    stamp = datetime.fromisoformat(review["created_at"]).strftime("%Y%m%dT%H%M%S%fZ")
    return landing / "reviews" / f"{REVIEW_FILE_PREFIX}{stamp}-{review['review_id']}.jsonl"


def write_review(landing: Path, review: dict[str, Any]) -> Path:
    """Write one review as a new JSON-lines file, atomically; returns its path."""
    path = review_path(landing, review)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({field: review.get(field) for field in REVIEW_FIELDS}, ensure_ascii=False)
    write_file_atomic(path, lambda tmp: tmp.write_text(line + "\n", encoding="utf-8"))
    return path


def read_app_reviews(landing: Path | None) -> list[dict[str, Any]]:
    """Every review the app wrote into ``landing/reviews/``, oldest first.

    Unreadable files are skipped: the build reports them (quarantine) with their reason.
    """
    if landing is None:
        return []
    folder = landing / "reviews"
    if not folder.is_dir():
        return []
    reviews = []
    for path in sorted(folder.glob(f"{REVIEW_FILE_PREFIX}*.jsonl")):
        try:
            record = json.loads(path.read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and record.get("review_id") and record.get("item_id"):
            reviews.append({**record, "file": path.name})
    return reviews


def _as_utc(value: Any) -> datetime | None:
    """A timestamp (naive values are UTC, as the marts store them) as an aware datetime."""
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def pending_reviews(
    reviews: Iterable[dict[str, Any]], build_started_at: Any, known_review_ids: set[str]
) -> list[dict[str, Any]]:
    """Reviews the published build has not read: written after it started, id not in the marts.

    A review written before the build started was read by it: it is either in the marts,
    superseded by a later review of the same item, or quarantined with a reason.
    """
    started = _as_utc(build_started_at)
    pending = []
    for review in reviews:
        if review["review_id"] in known_review_ids:
            continue
        created = _as_utc(review.get("created_at"))
        if started is None or created is None or created >= started:
            pending.append(review)
    return pending


def schema_labels(landing: Path | None) -> list[str]:
    """Active labels of the landing folder's label schema (its own file, else the seed)."""
    try:
        settings = landing_settings(landing, paths.PROJECT_DIR) if landing else {}
        schema_file = settings.get("label_schema_file")
        if schema_file:
            rows = read_label_schema(schema_file).to_pylist()
        else:
            with open(paths.PROJECT_DIR / "seeds" / "label_schema.csv", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
    except (OSError, LandingError, SettingsError):
        return []
    return sorted(
        {
            str(row["label"]).strip()
            for row in rows
            if row.get("label")
            and str(row.get("is_active") or "true").strip().lower() not in ("false", "0", "no")
        }
    )


def build_log_path(home: Path) -> Path:
    """Where a build started from the dashboard writes its output."""
    return home / BUILD_LOG_NAME


def start_build(landing: Path, home: Path) -> subprocess.Popen[bytes]:
    """Start ``smartloop build --landing L --home H --no-wait`` in the background.

    The build runs in its own session (it outlives a dashboard rerun); its progress is in
    ``last_build.json`` and its output in ``<home>/app_build.log``. The build lock keeps two
    builds from overlapping: a second one exits at once and says so in the log.
    """
    home.mkdir(parents=True, exist_ok=True)
    with open(build_log_path(home), "wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smartloop.cli",
                "build",
                "--landing",
                str(landing),
                "--home",
                str(home),
                "--no-wait",
            ],
            cwd=paths.PROJECT_DIR,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


PROGRESS_LINE = re.compile(r"^\[\s*(\d+)/(\d+)\]")


def build_progress(home: Path) -> tuple[int, int] | None:
    r"""(finished dbt nodes, all nodes) of the dashboard-started build, from its output's
    latest ``[ i/N] status node`` line; None before dbt reports the first node.

    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> build_progress(home) is None
    True
    >>> log = "Building\n[  7/395] pass stg_x (0.1s)\n[ 12/395] pass y (0.0s)\n"
    >>> _ = build_log_path(home).write_text(log)
    >>> build_progress(home)
    (12, 395)
    """
    for line in reversed(build_log_tail(home, n_lines=50).splitlines()):
        match = PROGRESS_LINE.match(line)
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def build_log_tail(home: Path, n_lines: int = 20) -> str:
    """The last lines of the dashboard-started build's output ('' before the first one)."""
    try:
        lines = build_log_path(home).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    return "\n".join(lines[-n_lines:])
