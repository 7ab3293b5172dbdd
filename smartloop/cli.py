"""The ``smartloop`` command: build a landing folder, serve the dashboard, or both on the demo."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from smartloop import bench, custom_slices, export, paths, synth
from smartloop.build import BuildError, build, generate_docs, new_build_id
from smartloop.predicate import PredicateError
from smartloop.settings import SettingsError, build_vars


def _echo(message: str) -> None:
    print(message, flush=True)


def _fail(message: str) -> int:
    print(f"smartloop: {message}", file=sys.stderr, flush=True)
    return 1


def _add_home(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        help="folder for the warehouse and serving.duckdb "
        "(env SMARTLOOP_HOME, default ./.smartloop)",
    )


def _add_landing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--landing",
        help="landing folder with items/, annotations/, reviews/, deletions/ "
        "(env SMARTLOOP_LANDING_DIR, default: the embedded demo)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartloop",
        description="Warehouse-native data-centric AI: the whole data loop as one dbt project.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p_build = commands.add_parser("build", help="run dbt build on a landing folder, then publish")
    _add_landing(p_build)
    _add_home(p_build)
    p_build.add_argument("--no-wait", action="store_true", help="exit if another build runs")
    p_build.add_argument("--threads", type=int, help="dbt threads (default 2)")
    p_build.add_argument(
        "--unit-tests",
        action="store_true",
        help="also run the dbt unit tests of the SQL (development and CI; a build skips them)",
    )
    p_build.add_argument(
        "--no-retrain",
        action="store_true",
        help="score new and edited items with the last saved model instead of training again",
    )

    p_spark = commands.add_parser(
        "spark", help="build on a local Apache Spark (dbt-spark), or compare with DuckDB's marts"
    )
    spark_commands = p_spark.add_subparsers(dest="spark_command", required=True)
    p_spark_build = spark_commands.add_parser(
        "build", help="build a landing folder on a local Spark session kept in HOME/spark"
    )
    _add_landing(p_spark_build)
    _add_home(p_spark_build)
    p_spark_build.add_argument(
        "--build-id", help="the build id (default: a new one; give the DuckDB build's to compare)"
    )
    p_spark_build.add_argument("--no-tests", action="store_true", help="skip dbt test")
    p_spark_compare = spark_commands.add_parser(
        "compare", help="compare HOME's Spark marts with its published DuckDB marts"
    )
    _add_home(p_spark_compare)
    p_spark_compare.add_argument(
        "--tolerance", type=float, default=1e-9, help="numbers may differ by this (relative)"
    )

    p_app = commands.add_parser("app", help="start the dashboard on the published serving file")
    _add_home(p_app)
    p_app.add_argument("--port", type=int, default=8501, help="port on localhost (default 8501)")

    p_demo = commands.add_parser("demo", help="build the embedded demo and start the dashboard")
    _add_home(p_demo)
    p_demo.add_argument("--port", type=int, default=8501, help="port on localhost (default 8501)")

    p_docs = commands.add_parser("docs", help="generate dbt docs (catalog of the last build)")
    _add_landing(p_docs)
    _add_home(p_docs)

    p_synth = commands.add_parser(
        "synth", help="write synthetic landing data with planted problems"
    )
    p_synth.add_argument("--n", type=int, required=True, help="number of items")
    p_synth.add_argument("--seed", type=int, default=7)
    p_synth.add_argument("--out", required=True, help="landing folder to write")

    p_bench = commands.add_parser("bench", help="build synthetic data of several sizes and measure")
    p_bench.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated sizes")
    p_bench.add_argument("--seed", type=int, default=7)
    p_bench.add_argument("--work", default="/tmp/smartloop-bench", help="scratch folder")
    p_bench.add_argument("--out", default="bench", help="folder for results.json and results.md")
    p_bench.add_argument(
        "--with-cleanlab",
        action="store_true",
        help=f"also run cleanlab's Datalab on the same inputs at sizes up to "
        f"{bench.DATALAB_MAX_ITEMS:,} (needs the bench extra)",
    )

    p_export = commands.add_parser(
        "export", help="write one split's trainable items as Parquet with a dataset card"
    )
    _add_home(p_export)
    p_export.add_argument("--split", required=True, choices=export.SPLITS)
    p_export.add_argument("--out", required=True, help="folder to write into")
    p_export.add_argument(
        "--balanced", action="store_true", help="the same number of items of every label"
    )

    p_slice = commands.add_parser(
        "slice", help="metrics of a custom slice: a SQL condition over dim_items's columns"
    )
    p_slice.add_argument(
        "predicate", help="a SQL condition, e.g. \"video = 'psy' and length(text) < 40\""
    )
    _add_home(p_slice)
    p_slice.add_argument("--format", choices=("table", "json"), default="table")

    p_vars = commands.add_parser(
        "vars", help="print the --vars JSON for running dbt directly on a landing folder"
    )
    _add_landing(p_vars)
    return parser


def _build(
    landing: Path,
    home: Path,
    *,
    wait: bool = True,
    threads: int | None = None,
    unit_tests: bool = False,
    retrain: bool = True,
) -> int:
    try:
        build(
            landing,
            home,
            wait=wait,
            threads=threads,
            unit_tests=unit_tests,
            retrain=retrain,
            echo=_echo,
        )
    except BuildError as exc:
        return _fail(f"build failed: {exc}")
    return 0


def _app(home: Path, port: int) -> int:
    if not paths.serving_path(home).is_file():
        _echo(f"No serving file in {home} yet: the dashboard will say how to build one.")
    _echo(f"Dashboard on http://localhost:{port} (Ctrl+C to stop)")
    env = {**os.environ, "SMARTLOOP_HOME": str(home)}
    args = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(paths.PROJECT_DIR / "app.py"),
        "--server.headless",
        "true",
        "--server.address",
        "localhost",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    try:
        return subprocess.call(args, env=env)
    except KeyboardInterrupt:
        return 0


def _slice(home: Path, predicate: str, output_format: str) -> int:
    """Print a custom slice's metrics per split; a rejected predicate exits with 2."""
    try:
        rows = custom_slices.slice_metrics(home, predicate)
    except PredicateError as exc:
        print(f"smartloop: {exc}", file=sys.stderr, flush=True)
        return 2
    except custom_slices.SliceError as exc:
        return _fail(str(exc))
    safe_predicate = rows[0]["predicate"]
    if output_format == "json":
        metrics = [{key: value for key, value in row.items() if key != "predicate"} for row in rows]
        print(json.dumps({"predicate": safe_predicate, "metrics": metrics}, indent=2))
        return 0
    _echo(f"Slice: {safe_predicate}")
    _echo(custom_slices.format_table(rows))
    _echo(
        "matched: items of dim_items the predicate selects; items: those scored, trainable and "
        "labelled (as in fct_slice_metrics); p-value: one-sided Fisher exact test that the "
        "slice holds more errors than the rest of its split would give it."
    )
    return 0


def _spark(args: argparse.Namespace) -> int:
    from smartloop import spark

    home = paths.home_dir(args.home)
    if args.spark_command == "build":
        try:
            spark.build(
                home,
                paths.landing_dir(args.landing),
                build_id=args.build_id or new_build_id(),
                echo=_echo,
                tests=not args.no_tests,
            )
        except (spark.SparkBuildError, spark.SparkSqlError, SettingsError) as exc:
            return _fail(f"spark build failed: {exc}")
        return 0
    try:
        compared, differences = spark.compare_with_duckdb(home, tolerance=args.tolerance)
    except spark.SparkBuildError as exc:
        return _fail(str(exc))
    for difference in differences:
        _echo(str(difference))
    _echo(
        f"{len(compared)} marts compared, {len({d.mart for d in differences})} differ "
        f"(numbers within {args.tolerance:g}; run-time columns ignored)."
    )
    return 1 if differences else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smartloop`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "vars":
        try:
            dbt_vars = build_vars(
                paths.landing_dir(args.landing), paths.PROJECT_DIR, new_build_id()
            )
        except SettingsError as exc:
            return _fail(str(exc))
        dbt_vars.pop("build_id")
        print(json.dumps(dbt_vars))
        return 0
    if args.command == "export":
        try:
            card = export.export(
                paths.home_dir(args.home), args.split, Path(args.out), balanced=args.balanced
            )
        except export.ExportError as exc:
            return _fail(str(exc))
        _echo(
            f"Wrote {card['n_items']:,} {args.split} items to {Path(args.out) / args.split}"
            f".parquet (version {card['dataset_version']}) with dataset_card.md."
        )
        return 0
    if args.command == "slice":
        return _slice(paths.home_dir(args.home), args.predicate, args.format)
    if args.command == "synth":
        summary = synth.generate(args.n, args.seed, Path(args.out))
        _echo(
            f"Wrote {summary.n_items:,} items to {summary.out_dir} ({summary.n_pii:,} with PII, "
            f"{summary.n_near_duplicates:,} near and {summary.n_exact_duplicates:,} exact copies, "
            f"{summary.n_label_flips:,} label flips, {summary.n_crowd_items:,} crowd-labelled, "
            f"{summary.n_bad_rows:,} bad rows); what was planted is in "
            f"{summary.out_dir / 'truth'}."
        )
        return 0
    if args.command == "bench":
        try:
            sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
        except ValueError:
            return _fail(f"--sizes takes whole numbers separated by commas, got {args.sizes!r}.")
        try:
            bench.run(
                sizes,
                seed=args.seed,
                work_dir=Path(args.work),
                out_dir=Path(args.out),
                with_cleanlab=args.with_cleanlab,
                echo=_echo,
            )
        except BuildError as exc:
            return _fail(f"bench build failed: {exc}")
        except bench.BenchError as exc:
            return _fail(str(exc))
        _echo(f"Results in {Path(args.out) / 'results.md'}")
        return 0
    if args.command == "spark":
        return _spark(args)
    home = paths.home_dir(args.home)
    if args.command == "build":
        return _build(
            paths.landing_dir(args.landing),
            home,
            wait=not args.no_wait,
            threads=args.threads,
            unit_tests=args.unit_tests,
            retrain=not args.no_retrain,
        )
    if args.command == "docs":
        try:
            target = generate_docs(paths.landing_dir(args.landing), home, echo=_echo)
        except BuildError as exc:
            return _fail(f"docs failed: {exc}")
        _echo(f"Docs written to {target}; view them with: python -m http.server -d {target} 8080")
        return 0
    if args.command == "demo":
        code = _build(paths.DEMO_LANDING_DIR, home)
        return code or _app(home, args.port)
    return _app(home, args.port)


if __name__ == "__main__":
    sys.exit(main())
