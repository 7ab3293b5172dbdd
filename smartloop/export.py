"""``smartloop export``: a versioned training set from the published serving file.

Writes ``<split>.parquet`` (item_id, redacted text, consensus label, split, cluster,
metadata columns) of the trainable items of one split, and beside it ``dataset_card.md``
and ``dataset_card.json``. The dataset version is a content hash of the exported rows, so
the same data always has the same version, whatever the file encoding. ``--balanced``
keeps the same number of items of every label (the smallest label's count), chosen by a
seeded hash of the item id.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from smartloop import paths
from smartloop.build import write_file_atomic

SPLITS = ("train", "validation", "test")
BALANCE_SEED = "smartloop-export-v1"


class ExportError(ValueError):
    """An export that cannot be made; the message is one sentence."""


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def export(home: Path, split: str, out_dir: Path, *, balanced: bool = False) -> dict:
    """Export one split of the last published build; returns the dataset card."""
    if split not in SPLITS:
        raise ExportError(f"--split must be one of {', '.join(SPLITS)}, not '{split}'.")
    serving = paths.serving_path(home)
    if not serving.is_file():
        raise ExportError(f"no serving file in {home}: run `smartloop build` first.")
    with duckdb.connect(str(serving), read_only=True) as con:
        columns = [row[0] for row in _query(con, "select column_name from (describe dim_items)")]
        metadata_columns = _metadata_columns(con, columns)
        selected = ", ".join(
            ["item_id", "text", "label", "split", "cluster_id", "cluster_size"]
            + [f'"{c}"' for c in metadata_columns]
        )
        base = f"select {selected} from dim_items where split = ? and is_trainable"
        if balanced:
            base = (
                f"select * exclude (label_rank) from (select *, row_number() over "
                f"(partition by label order by md5(item_id || '{BALANCE_SEED}')) as label_rank "
                f"from ({base})) where label_rank <= (select min(n) from (select count(*) as n "
                f"from dim_items where split = ? and is_trainable group by label))"
            )
        params = [split, split] if balanced else [split]
        table = con.sql(f"{base} order by item_id", params=params).to_arrow_table()
        card = _card(con, table, split, balanced, metadata_columns)
    if table.num_rows == 0:
        raise ExportError(f"the {split} split of {serving} has no trainable labelled item.")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_file_atomic(out_dir / f"{split}.parquet", lambda path: pq.write_table(table, path))
    write_file_atomic(
        out_dir / "dataset_card.json",
        lambda path: path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8"),
    )
    write_file_atomic(
        out_dir / "dataset_card.md",
        lambda path: path.write_text(_card_markdown(card), encoding="utf-8"),
    )
    return card


def _metadata_columns(con: duckdb.DuckDBPyConnection, columns: list[str]) -> list[str]:
    keys = _query(
        con,
        "select distinct unnest(json_keys(metadata)) from dim_items where metadata is not null",
    )
    return sorted(key for (key,) in keys if key in columns)


def content_version(table: pa.Table) -> str:
    """sha256 over the rows (item_id, text, label), in item order: the dataset version."""
    digest = hashlib.sha256()
    for item_id, text, label in zip(
        table.column("item_id").to_pylist(),
        table.column("text").to_pylist(),
        table.column("label").to_pylist(),
        strict=True,
    ):
        digest.update(json.dumps([item_id, text, label], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def _card(con, table: pa.Table, split: str, balanced: bool, metadata_columns: list[str]) -> dict:
    labels: dict[str, int] = {}
    for label in table.column("label").to_pylist():
        labels[label] = labels.get(label, 0) + 1
    item_ids = table.column("item_id").to_pylist()
    con.execute("create temp table exported as select unnest(?::varchar[]) as item_id", [item_ids])
    (build_id, published_at) = _query(con, "select build_id, published_at from serving_info")[0]
    sources = dict(
        _query(
            con,
            "select source_file, count(*) from dim_items join exported using (item_id) "
            "group by source_file order by source_file",
        )
    )
    (n_clusters, n_with_pii) = _query(
        con,
        "select count(distinct cluster_id), count(*) filter (where has_pii) "
        "from dim_items join exported using (item_id)",
    )[0]
    agreement = {
        metric: value
        for metric, value in _query(
            con,
            "select metric, value from rpt_label_agreement where scope = 'overall'",
        )
    }
    methods = dict(
        _query(
            con,
            "select label_method, count(*) from fct_item_labels join exported using (item_id) "
            "group by label_method order by label_method",
        )
    )
    return {
        "dataset_version": content_version(table),
        "split": split,
        "balanced": balanced,
        "n_items": table.num_rows,
        "label_distribution": dict(sorted(labels.items())),
        "label_methods": methods,
        "build_id": build_id,
        "published_at": str(published_at),
        "sources": sources,
        "metadata_columns": metadata_columns,
        "duplicates": {
            "n_clusters": n_clusters,
            "handling": "exact and near duplicates share a cluster; a cluster is never split "
            "across train, validation and test",
        },
        "personal_data": {
            "n_items_with_pii_redacted": n_with_pii,
            "handling": "PII in text and metadata replaced by typed placeholders; personal "
            "columns pseudonymised; deletion requests applied",
        },
        "agreement": agreement,
    }


def _card_markdown(card: dict) -> str:
    lines = [
        f"# Dataset card: {card['split']} split, version {card['dataset_version']}",
        "",
        f"- Items: {card['n_items']:,}{' (balanced by label)' if card['balanced'] else ''}",
        f"- Built by smartloop build {card['build_id']}, published {card['published_at']}",
        "- Labels: "
        + ", ".join(f"{label} {n:,}" for label, n in card["label_distribution"].items()),
        "- Consensus methods: "
        + ", ".join(f"{method} {n:,}" for method, n in card["label_methods"].items()),
        "- Sources: " + ", ".join(f"{src} ({n:,})" for src, n in card["sources"].items()),
        f"- Duplicates: {card['duplicates']['n_clusters']:,} clusters; "
        + card["duplicates"]["handling"],
        f"- Personal data: {card['personal_data']['n_items_with_pii_redacted']:,} items had "
        f"PII redacted; " + card["personal_data"]["handling"],
        "- Agreement: "
        + (
            ", ".join(
                f"{metric} {'n/a' if value is None else f'{value:.3f}'}"
                for metric, value in sorted(card["agreement"].items())
            )
            or "n/a"
        ),
        "",
    ]
    return "\n".join(lines)
