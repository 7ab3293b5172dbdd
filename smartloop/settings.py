"""Project defaults (``dbt_project.yml`` vars) merged with a landing folder's ``smartloop.yml``.

Every var in ``dbt_project.yml`` is a setting with a default; a landing folder may override
any of them except the ones the runner owns. An unknown key or a value of the wrong kind
is an error that names it, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SETTINGS_FILE = "smartloop.yml"
RUNNER_VARS = ("landing_dir", "build_id", "model_dir")
PATH_SETTINGS = ("label_schema_file",)


class SettingsError(ValueError):
    """A settings file that cannot be used; the message is one sentence."""


def project_defaults(project_dir: Path) -> dict[str, Any]:
    """The vars of ``dbt_project.yml``: the project's defaults."""
    with open(project_dir / "dbt_project.yml", encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh).get("vars") or {})


_KIND_NAMES = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}


def _is_positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


# Settings whose values are one of a few choices, checked by rule instead of by kind.
_RULES: dict[str, tuple[Any, str]] = {
    "annotation_rounds": (lambda v: v in ("latest", "all"), "'latest' or 'all'"),
    "consensus_method": (
        lambda v: v in ("auto", "majority", "dawid_skene"),
        "'auto', 'majority' or 'dawid_skene'",
    ),
    "annotation_strategy": (
        lambda v: v in ("least_confidence", "margin", "entropy"),
        "'least_confidence', 'margin' or 'entropy'",
    ),
    "label_issue_estimator": (
        lambda v: (
            v in ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "paper")
        ),
        "'prune_by_noise_rate', 'prune_by_class', 'both', 'confident_learning' or 'paper'",
    ),
    "label_issue_rank_by": (
        lambda v: v in ("self_confidence", "normalized_margin"),
        "'self_confidence' or 'normalized_margin'",
    ),
    "quality_gate_severity": (lambda v: v in ("warn", "error"), "'warn' or 'error'"),
    "review_weight": (
        lambda v: v == "authoritative" or _is_positive_number(v),
        "'authoritative' or a positive number",
    ),
    "slice_max_depth": (
        lambda v: not isinstance(v, bool) and v in (1, 2, 3),
        "1, 2 or 3",
    ),
}


def _kind_name(default: Any) -> str:
    return _KIND_NAMES.get(type(default), type(default).__name__)


def _same_kind(default: Any, value: Any) -> bool:
    """Whether an override has the kind of value its default has (an int for an int ...)."""
    if default is None:
        return True
    if value is None:
        return False
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def landing_settings(landing_dir: Path, project_dir: Path) -> dict[str, Any]:
    """The overrides a landing folder's ``smartloop.yml`` asks for, checked against the defaults."""
    path = Path(landing_dir) / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SettingsError(f"{path}: not valid YAML ({reason}).") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SettingsError(f"{path}: expected a mapping of setting names to values.")
    defaults = project_defaults(project_dir)
    known = sorted(k for k in defaults if k not in RUNNER_VARS)
    out: dict[str, Any] = {}
    for key, value in loaded.items():
        if key not in known:
            raise SettingsError(
                f"{path}: unknown setting '{key}' (known settings: {', '.join(known)})."
            )
        if key in _RULES:
            allowed, described = _RULES[key]
            if not allowed(value):
                raise SettingsError(
                    f"{path}: setting '{key}' should be {described}, got {value!r}."
                )
        elif not _same_kind(defaults[key], value):
            raise SettingsError(
                f"{path}: setting '{key}' should be {_kind_name(defaults[key])}, got {value!r}."
            )
        if key in PATH_SETTINGS and value:
            resolved = (Path(landing_dir) / str(value)).resolve()
            if not resolved.is_file():
                raise SettingsError(
                    f"{path}: setting '{key}' names {resolved}, which does not exist."
                )
            value = str(resolved)
        out[key] = value
    return out


def build_vars(landing_dir: Path, project_dir: Path, build_id: str) -> dict[str, Any]:
    """The ``--vars`` for one build: the landing folder, its settings and the build id."""
    landing = Path(landing_dir).resolve()
    return {
        "landing_dir": str(landing),
        "build_id": build_id,
        **landing_settings(landing, project_dir),
    }
