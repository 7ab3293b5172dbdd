"""Personal data end to end: deletion requests, pseudonyms, and the key never written down."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from smartloop import paths
from smartloop.privacy import pseudonymise
from tests.conftest import FIXTURES, run_cli

pytestmark = pytest.mark.dbt

SECRET = "k3y-for-tests-7f1d9a2c"


def build(landing: Path, home: Path) -> subprocess.CompletedProcess:
    return run_cli(
        "build",
        "--landing",
        str(landing),
        "--home",
        str(home),
        env={"SMARTLOOP_PSEUDONYM_KEY": SECRET},
    )


def strings_in_serving_file(home: Path) -> str:
    """Every text value of every table of the serving file, as one string."""
    chunks = []
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        for (table,) in con.execute("select table_name from duckdb_tables()").fetchall():
            columns = [
                name
                for name, dtype, *_ in con.execute(f'describe "{table}"').fetchall()
                if dtype in ("VARCHAR", "JSON")
            ]
            for column in columns:
                values = con.execute(f'select "{column}" from "{table}"').fetchall()
                chunks.extend(str(v[0]) for v in values if v[0] is not None)
    return "\n".join(chunks)


@pytest.fixture(scope="module")
def deleted_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("privacy")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing_defects", landing)
    (landing / "deletions").mkdir()
    alice = pseudonymise("alice", key=SECRET.encode())
    erin = pseudonymise("erin", key=SECRET.encode())
    (landing / "deletions" / "requests.csv").write_text(
        "item_id,pseudonym,requested_at,reason\n"
        "ok2,,2024-05-01T00:00:00,asked by mail to bob@example.com\n"
        f",{alice},2024-05-02T00:00:00,right to be forgotten\n"
        f",{erin},2024-05-03T00:00:00,forget a quarantined row too\n"
        "never-landed,,2024-05-04T00:00:00,unknown item\n",
        encoding="utf-8",
    )
    before = {p: p.read_bytes() for p in landing.rglob("*") if p.is_file()}
    home = root / "home"
    result = build(landing, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p: p.read_bytes() for p in landing.rglob("*") if p.is_file()} == before
    (root / "build-output.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
    return landing, home


def test_deleted_items_vanish_from_every_mart(deleted_home: tuple[Path, Path]) -> None:
    _, home = deleted_home
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        items = {row[0] for row in con.execute("select item_id from dim_items").fetchall()}
        quarantined = {
            row[0] for row in con.execute("select item_id from rpt_quarantine").fetchall()
        }
    # ok2 by id, ok1 (alice) by pseudonym; ts1 (erin) was quarantined and leaves the report
    assert items == {"ok3", "conflict1"}
    assert "ts1" not in quarantined and "ghost" in quarantined
    everything = strings_in_serving_file(home)
    assert "Hello there" not in everything  # ok1's text
    assert "Nice & bold" not in everything  # ok2's text


def test_deletion_requests_are_kept_as_audit_records(deleted_home: tuple[Path, Path]) -> None:
    _, home = deleted_home
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        rows = con.execute(
            "select item_id, pseudonym is not null, n_items_deleted, reason "
            "from rpt_deletion_requests order by requested_at"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("ok2", False, 1),
        (None, True, 1),
        (None, True, 0),
        ("never-landed", False, 0),
    ]
    assert "bob@example.com" not in rows[0][3] and "<EMAIL>" in rows[0][3]


def test_personal_columns_are_pseudonymised(deleted_home: tuple[Path, Path]) -> None:
    _, home = deleted_home
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        authors = dict(con.execute("select item_id, author from dim_items").fetchall())
    assert authors["ok3"] == pseudonymise("gina", key=SECRET.encode())
    everything = strings_in_serving_file(home)
    for name in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):
        assert f'"{name}"' not in everything and f"'{name}'" not in everything


def test_the_key_is_never_written(deleted_home: tuple[Path, Path]) -> None:
    _, home = deleted_home
    secret = SECRET.encode()
    # the warehouse, the serving file, dbt's artifacts (manifest, run results, compiled SQL),
    # its logs, the saved model, and what the build printed
    written = [p for p in home.rglob("*") if p.is_file()]
    assert {"serving.duckdb", "warehouse.duckdb", "manifest.json", "dbt.log"} <= {
        p.name for p in written
    }
    leaks = [p for p in [*written, home.parent / "build-output.txt"] if secret in p.read_bytes()]
    assert leaks == []
    tracked = subprocess.run(
        ["git", "grep", "-l", SECRET, "--", ":!tests/integration/test_privacy.py"],
        cwd=paths.PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert tracked.stdout == ""
