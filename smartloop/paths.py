"""Where smartloop keeps its files: the project, the home folder and what lives in it."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_LANDING_DIR = PROJECT_DIR / "data" / "demo"


def home_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """The home folder: the argument, else env SMARTLOOP_HOME, else ./.smartloop."""
    value = home or os.environ.get("SMARTLOOP_HOME") or ".smartloop"
    return Path(value).expanduser().resolve()


def landing_dir(landing: str | os.PathLike[str] | None = None) -> Path:
    """The landing folder: the argument, else env SMARTLOOP_LANDING_DIR, else the demo."""
    value = landing or os.environ.get("SMARTLOOP_LANDING_DIR")
    return Path(value).expanduser().resolve() if value else DEMO_LANDING_DIR


def warehouse_path(home: Path) -> Path:
    """The private warehouse file: only dbt (and the builder between dbt runs) opens it."""
    return home / "warehouse.duckdb"


def serving_path(home: Path) -> Path:
    """The published file the app reads, replaced atomically by each successful build."""
    return home / "serving.duckdb"


def lock_path(home: Path) -> Path:
    """The lock that keeps two builds from overlapping."""
    return home / "build.lock"


def status_path(home: Path) -> Path:
    """JSON status of the latest build attempt (running, success or failed, with a message)."""
    return home / "last_build.json"


def model_dir(home: Path) -> Path:
    """The last trained model, which a build asked not to retrain scores new items with."""
    return home / "models"


def landing_cache_dir(home: Path) -> Path:
    """Parsed rows of each landed file (Parquet), read back while the file is unchanged."""
    return home / "landing_cache"
