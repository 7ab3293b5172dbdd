"""One build: lock, run dbt in a subprocess on the private warehouse, publish the marts.

DuckDB allows one writer and no reader beside it, so the warehouse file belongs to dbt for
the whole run. Readers (the dashboard, analysts) only ever open ``serving.duckdb``, which a
successful build replaces atomically: the marts are copied into a temporary file that is
fsynced and renamed over the serving file. A failed or killed build leaves the last good
serving file untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from smartloop import paths
from smartloop.landing import LANDING_ERROR_PREFIX
from smartloop.privacy import KEY_ENV, uses_demo_key
from smartloop.settings import SettingsError, build_vars

Echo = Callable[[str], None]

LEDGER_DDL = """
create schema if not exists runs;
create table if not exists runs.build_log (
    build_id varchar primary key,
    started_at timestamp,
    ended_at timestamp,
    status varchar,
    message varchar,
    landing_dir varchar
);
"""


class BuildError(RuntimeError):
    """A build that did not publish; the message is one sentence for the user."""


@dataclass
class BuildResult:
    build_id: str
    serving_path: Path
    elapsed_seconds: float
    counts: dict[str, int]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_build_id() -> str:
    """A sortable, unique build id such as ``20261127T213512Z-1a2b3c``."""
    return f"{_now():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Let ``write`` fill a hidden temp file, fsync it and rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON to a hidden temp file, fsync it and rename it into place."""
    write_file_atomic(
        path,
        lambda tmp: tmp.write_text(json.dumps(payload, default=str, indent=2), encoding="utf-8"),
    )


@contextlib.contextmanager
def build_lock(home: Path, *, wait: bool, echo: Echo) -> Iterator[int]:
    """Hold ``<home>/build.lock`` for the duration of a build.

    The lock is an ``flock``: the kernel releases it when the holder dies, even by SIGKILL,
    so a crashed build never blocks the next one.
    """
    path = paths.lock_path(home)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            if not wait:
                raise BuildError(
                    f"another build (pid {holder}) holds {path}; wait for it or run "
                    "`smartloop build` again without --no-wait."
                ) from None
            echo(f"Another build (pid {holder}) holds {path}; waiting for it to finish...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield fd
    finally:
        os.close(fd)


def _die_with_parent() -> None:
    """In the dbt child: receive SIGKILL when the builder dies, so no orphan keeps the warehouse."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _ledger(warehouse: Path, *statements: tuple[str, list[Any]]) -> None:
    """Run statements on the build ledger in one connection to the warehouse."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(LEDGER_DDL)
        for sql, params in statements:
            con.execute(sql, params)


def _progress_line(line: str, echo: Echo) -> None:
    """Turn one dbt JSON log event into a progress line (finished nodes and errors)."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        if line.strip():
            echo(line.rstrip())
        return
    data = event.get("data", {})
    node = data.get("node_info") or {}
    status = node.get("node_status")
    if status in (None, "None"):  # unit tests report their outcome only in data.status
        status = data.get("status")
    total = data.get("total") or data.get("num_models")
    if "index" in data and total and status not in (None, "started", "compiling", "executing"):
        name = node.get("node_name", "?")
        seconds = data.get("execution_time") or 0.0
        echo(f"[{data['index']:>3}/{total}] {status:<7} {name} ({seconds:.1f}s)")
    elif event.get("info", {}).get("level") == "error" and event["info"].get("msg"):
        echo(event["info"]["msg"].rstrip())


def _failure_sentence(target_dir: Path, fallback: str) -> str:
    """The first failing node's error as one sentence, from dbt's run_results.json."""
    results_file = target_dir / "run_results.json"
    if not results_file.is_file():
        return fallback
    with open(results_file, encoding="utf-8") as fh:
        results = json.load(fh).get("results", [])
    for result in results:
        if result.get("status") in ("error", "fail", "runtime error"):
            message = (result.get("message") or "").strip()
            lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
            # Errors raised while reading landing files are already one sentence.
            landing = next((ln for ln in lines if ln.startswith(LANDING_ERROR_PREFIX)), None)
            if landing is not None:
                return landing.removeprefix(LANDING_ERROR_PREFIX)
            errors = [ln for ln in lines if re.search(r"\b\w*(Error|error)\b:", ln)]
            detail = errors[0] if errors else (lines[-1] if lines else result.get("status"))
            name = result.get("unique_id", "?").split(".")[-1]
            return f"dbt build failed in {name}: {detail}"
    return fallback


def run_dbt(
    command: list[str],
    *,
    home: Path,
    dbt_vars: dict[str, Any],
    echo: Echo,
    threads: int | None = None,
    build_id: str | None = None,
    retrain: bool | None = None,
) -> tuple[int, Path]:
    """Run a dbt command in a subprocess on the warehouse in ``home``.

    ``build_id`` and ``retrain`` reach the models through the environment, read when a model
    runs: as vars they would change dbt's parse inputs and cost a full re-parse.

    Returns the exit code and dbt's target folder.
    """
    target_dir = home / "target"
    env = {
        **os.environ,
        "SMARTLOOP_WAREHOUSE": str(paths.warehouse_path(home)),
        "SMARTLOOP_LANDING_CACHE": str(paths.landing_cache_dir(home)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SMARTLOOP_BUILD_ID", None)
    if build_id:
        env["SMARTLOOP_BUILD_ID"] = build_id
    env.pop("SMARTLOOP_RETRAIN", None)
    if retrain is not None:
        env["SMARTLOOP_RETRAIN"] = "true" if retrain else "false"
    if threads:
        env["SMARTLOOP_THREADS"] = str(threads)
    args = [
        sys.executable,
        "-m",
        "smartloop.dbt_main",
        "--log-format",
        "json",
        *command,
        "--project-dir",
        str(paths.PROJECT_DIR),
        "--profiles-dir",
        str(paths.PROJECT_DIR),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(home / "logs"),
        "--vars",
        json.dumps(dbt_vars),
    ]
    with subprocess.Popen(
        args,
        cwd=paths.PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_die_with_parent,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            _progress_line(line, echo)
        return proc.wait(), target_dir


def publish(home: Path, build_id: str, landing: Path, ended_at: datetime) -> Path:
    """Copy the warehouse's marts into a new file and atomically rename it to serving.duckdb."""
    serving = paths.serving_path(home)
    tmp = home / f".serving-{build_id}.duckdb.tmp"
    tmp.unlink(missing_ok=True)
    warehouse = str(paths.warehouse_path(home)).replace("'", "''")
    with duckdb.connect(str(tmp)) as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'warehouse' and schema_name = 'marts' order by table_name"
            ).fetchall()
        ]
        for table in tables:
            con.execute(f'create table main."{table}" as select * from warehouse.marts."{table}"')
        if "rpt_pipeline_runs" in tables:
            con.execute(
                "update main.rpt_pipeline_runs set status = 'success', ended_at = ? "
                "where build_id = ?",
                [ended_at, build_id],
            )
        con.execute(
            "create table main.serving_info as select ?::varchar as build_id, "
            "?::timestamp as published_at, ?::varchar as landing_dir",
            [build_id, ended_at, str(landing)],
        )
        con.execute("detach warehouse")
        con.execute("checkpoint")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, serving)
    _fsync_dir(home)
    return serving


def _serving_counts(serving: Path) -> dict[str, int]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return {
            "items": con.execute("select count(*) from dim_items").fetchone()[0],
            "quarantined": con.execute("select count(*) from rpt_quarantine").fetchone()[0],
        }


def build(
    landing: Path,
    home: Path,
    *,
    wait: bool = True,
    threads: int | None = None,
    unit_tests: bool = False,
    retrain: bool = True,
    echo: Echo = print,
) -> BuildResult:
    """Build the landing folder into ``home`` and publish ``serving.duckdb``.

    The model is saved in ``home``/models; with ``retrain`` False the build scores new and
    edited items with it instead of training again (it trains when no saved model fits).

    dbt's unit tests check the SQL, not the data, so a build skips them unless
    ``unit_tests`` (development and CI), as dbt recommends for production runs.
    """
    landing = Path(landing).resolve()
    if not landing.is_dir():
        raise BuildError(f"landing folder {landing} does not exist; pass --landing DIR.")
    home.mkdir(parents=True, exist_ok=True)
    with build_lock(home, wait=wait, echo=echo):
        for stale in home.glob(".serving-*.duckdb.tmp"):
            stale.unlink(missing_ok=True)  # left by a build that was killed while publishing
        build_id = new_build_id()
        started_at = _now()
        try:
            dbt_vars = build_vars(landing, paths.PROJECT_DIR, build_id)
        except SettingsError as exc:
            raise BuildError(str(exc)) from None
        dbt_vars["model_dir"] = str(paths.model_dir(home))
        # the build id changes every build and --no-retrain some builds: both go in the
        # environment, so dbt's partial parsing (keyed on --vars) reuses the last parse
        dbt_vars.pop("build_id", None)
        status = {
            "build_id": build_id,
            "status": "running",
            "stage": "dbt build",
            "started_at": started_at.isoformat(),
            "ended_at": None,
            "message": None,
            "landing_dir": str(landing),
            "pid": os.getpid(),
        }
        write_json_atomic(paths.status_path(home), status)
        warehouse = paths.warehouse_path(home)
        # Holding the lock, any build still marked running was killed before it could finish.
        _ledger(
            warehouse,
            (
                "update runs.build_log set status = 'interrupted', message = ? "
                "where status = 'running'",
                ["the build stopped before it finished (killed or crashed)."],
            ),
            (
                "insert into runs.build_log values (?, ?, null, 'running', null, ?)",
                [build_id, started_at, str(landing)],
            ),
        )
        echo(f"Building {landing} into {home} (build {build_id})")
        if uses_demo_key() and landing != paths.DEMO_LANDING_DIR.resolve():
            echo(
                f"Warning: {KEY_ENV} is not set, so personal columns are pseudonymised with "
                "the public demo key; set it to a secret of your own."
            )
        command = ["build"] if unit_tests else ["build", "--exclude-resource-type", "unit_test"]
        code, target_dir = run_dbt(
            command,
            home=home,
            dbt_vars=dbt_vars,
            echo=echo,
            threads=threads,
            build_id=build_id,
            retrain=retrain,
        )
        if code != 0:
            message = _failure_sentence(target_dir, f"dbt build exited with code {code}.")
            _finish(home, warehouse, status, "failed", message)
            raise BuildError(message)
        status["stage"] = "publish"
        write_json_atomic(paths.status_path(home), status)
        ended_at = _now()
        serving = publish(home, build_id, landing, ended_at)
        _finish(home, warehouse, status, "success", None, ended_at)
        counts = _serving_counts(serving)
        elapsed = (ended_at - started_at).total_seconds()
        echo(
            f"Published {serving}: {counts['items']} items, {counts['quarantined']} quarantined "
            f"rows ({elapsed:.1f}s)."
        )
        return BuildResult(build_id, serving, elapsed, counts)


def _finish(
    home: Path,
    warehouse: Path,
    status: dict[str, Any],
    outcome: str,
    message: str | None,
    ended_at: datetime | None = None,
) -> None:
    """Record a build's outcome in the ledger and in last_build.json."""
    ended_at = ended_at or _now()
    _ledger(
        warehouse,
        (
            "update runs.build_log set status = ?, ended_at = ?, message = ? where build_id = ?",
            [outcome, ended_at, message, status["build_id"]],
        ),
    )
    status.update(status=outcome, ended_at=ended_at.isoformat(), message=message, stage=None)
    write_json_atomic(paths.status_path(home), status)


def generate_docs(landing: Path, home: Path, *, echo: Echo = print) -> Path:
    """Run ``dbt docs generate`` on the warehouse in ``home`` (under the build lock)."""
    landing = Path(landing).resolve()
    home.mkdir(parents=True, exist_ok=True)
    with build_lock(home, wait=True, echo=echo):
        try:
            dbt_vars = build_vars(landing, paths.PROJECT_DIR, new_build_id())
        except SettingsError as exc:
            raise BuildError(str(exc)) from None
        code, target_dir = run_dbt(["docs", "generate"], home=home, dbt_vars=dbt_vars, echo=echo)
        if code != 0:
            raise BuildError(
                _failure_sentence(target_dir, f"dbt docs generate exited with code {code}.")
            )
        return target_dir
