"""A landing folder's smartloop.yml, checked against the real project's dbt_project.yml vars."""

# Golden tables keep one case per line, however long.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from smartloop.paths import PROJECT_DIR
from smartloop.settings import (
    RUNNER_VARS,
    SETTINGS_FILE,
    SettingsError,
    build_vars,
    landing_settings,
    project_defaults,
)

# (id, smartloop.yml content, overrides returned)
VALID_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("empty file", "", {}),
    ("comments only", "# nothing to override\n", {}),
    ("personal columns", "personal_columns: [author, email]\n", {"personal_columns": ["author", "email"]}),
    ("empty list", "slice_columns: []\n", {"slice_columns": []}),
    ("min slice size", "min_slice_size: 50\n", {"min_slice_size": 50}),
    ("float", "fdr_q: 0.1\n", {"fdr_q": 0.1}),
    ("split ratios", "split_ratios: {train: 0.8, validation: 0.1, test: 0.1}\n", {"split_ratios": {"train": 0.8, "validation": 0.1, "test": 0.1}}),
    ("timestamp formats", "timestamp_formats: ['%d/%m/%Y']\n", {"timestamp_formats": ["%d/%m/%Y"]}),
    ("no label schema", 'label_schema_file: ""\n', {"label_schema_file": ""}),
    ("several", "min_slice_size: 10\npersonal_columns: []\n", {"min_slice_size": 10, "personal_columns": []}),
    ("every annotation round", "annotation_rounds: all\n", {"annotation_rounds": "all"}),
    ("majority consensus", "consensus_method: majority\n", {"consensus_method": "majority"}),
    ("reviews as votes", "review_weight: 2\n", {"review_weight": 2}),
    ("reviews as a fractional vote", "review_weight: 0.5\n", {"review_weight": 0.5}),
    ("authoritative reviews", "review_weight: authoritative\n", {"review_weight": "authoritative"}),
]  # fmt: skip

# (id, smartloop.yml content, what the message says after "<path>: ")
INVALID_CASES: list[tuple[str, bytes, str]] = [
    ("unknown key", b"min_slice: 5\n", "unknown setting 'min_slice' (known settings: "),
    ("runner owns landing_dir", b"landing_dir: /data\n", "unknown setting 'landing_dir' (known settings: "),
    ("runner owns build_id", b"build_id: b1\n", "unknown setting 'build_id' (known settings: "),
    ("int for a list", b"personal_columns: 3\n", "setting 'personal_columns' should be a list, got 3."),
    ("string for a list", b"timestamp_formats: '%Y'\n", "setting 'timestamp_formats' should be a list, got '%Y'."),
    ("string for an int", b"min_slice_size: big\n", "setting 'min_slice_size' should be a whole number, got 'big'."),
    ("bool for an int", b"min_slice_size: true\n", "setting 'min_slice_size' should be a whole number, got True."),
    ("list for a dict", b"split_ratios: [0.7, 0.3]\n", "setting 'split_ratios' should be a mapping, got [0.7, 0.3]."),
    ("list for a string", b"label_schema_file: [a.csv]\n", "setting 'label_schema_file' should be a string, got ['a.csv']."),
    ("decimal for an int", b"min_slice_size: 2.5\n", "setting 'min_slice_size' should be a whole number, got 2.5."),
    ("empty value", b"personal_columns:\n", "setting 'personal_columns' should be a list, got None."),
    ("missing label schema", b"label_schema_file: nope.csv\n", "setting 'label_schema_file' names "),
    ("not a mapping", b"- min_slice_size\n- 5\n", "expected a mapping of setting names to values."),
    ("unclosed bracket", b"min_slice_size: [1, 2\n", "not valid YAML ("),
    ("tab indentation", b"split_ratios:\n\ttrain: 0.8\n", "not valid YAML ("),
    ("control character", b"min_slice_size: 5\x07\n", "not valid YAML ("),
    ("invalid utf8", b"personal_columns: [caf\xe9]\n", "not valid YAML ("),
    ("unknown round choice", b"annotation_rounds: first\n", "setting 'annotation_rounds' should be 'latest' or 'all', got 'first'."),
    ("unknown gate severity", b"quality_gate_severity: fatal\n", "setting 'quality_gate_severity' should be 'warn' or 'error', got 'fatal'."),
    ("unknown consensus", b"consensus_method: vote\n", "setting 'consensus_method' should be 'auto', 'majority' or 'dawid_skene', got 'vote'."),
    ("zero review weight", b"review_weight: 0\n", "setting 'review_weight' should be 'authoritative' or a positive number, got 0."),
    ("bool review weight", b"review_weight: true\n", "setting 'review_weight' should be 'authoritative' or a positive number, got True."),
    ("slice depth too deep", b"slice_max_depth: 4\n", "setting 'slice_max_depth' should be 1, 2 or 3, got 4."),
]  # fmt: skip


def _landing(tmp_path: Path, content: str | bytes | None) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir(exist_ok=True)
    if content is not None:
        data = content.encode() if isinstance(content, str) else content
        (landing / SETTINGS_FILE).write_bytes(data)
    return landing


def test_no_settings_file_means_no_overrides(tmp_path: Path) -> None:
    assert landing_settings(_landing(tmp_path, None), PROJECT_DIR) == {}


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(content, want, id=case) for case, content, want in VALID_CASES],
)
def test_valid_overrides(tmp_path: Path, content: str, expected: dict[str, Any]) -> None:
    assert landing_settings(_landing(tmp_path, content), PROJECT_DIR) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [pytest.param(content, message, id=case) for case, content, message in INVALID_CASES],
)
def test_invalid_settings_raise_one_sentence_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    landing = _landing(tmp_path, content)
    with pytest.raises(SettingsError) as caught:
        landing_settings(landing, PROJECT_DIR)
    text = str(caught.value)
    assert text.startswith(f"{landing / SETTINGS_FILE}: {message}")
    assert text.endswith(".")
    assert "\n" not in text


def test_every_project_default_is_a_valid_override(tmp_path: Path) -> None:
    defaults = project_defaults(PROJECT_DIR)
    overridable = {k: v for k, v in defaults.items() if k not in RUNNER_VARS}
    assert overridable
    assert set(RUNNER_VARS) <= set(defaults)
    landing = _landing(tmp_path, yaml.safe_dump(overridable))
    assert landing_settings(landing, PROJECT_DIR) == overridable


@pytest.mark.parametrize(
    ("file", "setting"),
    [
        ("landing/schema/labels.csv", "schema/labels.csv"),
        ("landing/labels.csv", "./labels.csv"),
        ("shared/labels.csv", "../shared/labels.csv"),
    ],
)
def test_label_schema_file_is_resolved_from_the_landing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file: str, setting: str
) -> None:
    landing = _landing(tmp_path, f"label_schema_file: {setting}\n")
    schema = tmp_path / file
    schema.parent.mkdir(parents=True, exist_ok=True)
    schema.write_text("label\nspam\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert landing_settings(landing, PROJECT_DIR) == {"label_schema_file": str(schema.resolve())}


def test_label_schema_file_must_be_a_file(tmp_path: Path) -> None:
    landing = _landing(tmp_path, "label_schema_file: schema\n")
    (landing / "schema").mkdir()
    with pytest.raises(SettingsError, match=r"setting 'label_schema_file' names .*schema"):
        landing_settings(landing, PROJECT_DIR)


def test_build_vars_without_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _landing(tmp_path, None)
    monkeypatch.chdir(tmp_path)
    assert build_vars(Path("landing"), PROJECT_DIR, "b1") == {
        "landing_dir": str((tmp_path / "landing").resolve()),
        "build_id": "b1",
    }


def test_build_vars_merge_settings_of_a_relative_landing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = _landing(tmp_path, "min_slice_size: 5\nlabel_schema_file: labels.csv\n")
    (landing / "labels.csv").write_text("label\nspam\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = build_vars(Path("landing"), PROJECT_DIR, "b2")
    assert result == {
        "landing_dir": str(landing.resolve()),
        "build_id": "b2",
        "min_slice_size": 5,
        "label_schema_file": str((landing / "labels.csv").resolve()),
    }
    assert Path(result["landing_dir"]).is_absolute()
