"""Convert the YouTube Spam Collection into the smartloop landing contract (run once).

    python scripts/convert_youtube_spam.py data/raw/youtube_spam data/demo

Items keep the source's quirks on purpose (HTML, repeated texts, repeated ids, empty dates,
mixed date formats). Four videos land as CSV and one as JSON lines; the labels land as one
Parquet file, so the demo exercises every landing format.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

VIDEOS = {
    "Youtube01-Psy.csv": "psy",
    "Youtube02-KatyPerry.csv": "katy_perry",
    "Youtube03-LMFAO.csv": "lmfao",
    "Youtube04-Eminem.csv": "eminem",
    "Youtube05-Shakira.csv": "shakira",
}
JSONL_VIDEOS = {"shakira"}
LABELS = {"1": "spam", "0": "ham"}


def convert(raw_dir: Path, out_dir: Path) -> None:
    """Write items/ (one file per video) and annotations/ under out_dir."""
    (out_dir / "items").mkdir(parents=True, exist_ok=True)
    (out_dir / "annotations").mkdir(parents=True, exist_ok=True)
    annotations: dict[str, list] = {
        "item_id": [],
        "label": [],
        "annotator_id": [],
        "annotated_at": [],
    }
    for index, (name, video) in enumerate(VIDEOS.items(), start=1):
        with open(raw_dir / name, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        items = [
            {
                "item_id": row["COMMENT_ID"],
                "text": row["CONTENT"],
                "video": video,
                "author": row["AUTHOR"],
                "published_at": row["DATE"],
            }
            for row in rows
        ]
        stem = f"youtube{index:02d}_{video}"
        if video in JSONL_VIDEOS:
            with open(out_dir / "items" / f"{stem}.jsonl", "w", encoding="utf-8") as fh:
                for item in items:
                    fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        else:
            with open(out_dir / "items" / f"{stem}.csv", "w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(items[0]))
                writer.writeheader()
                writer.writerows(items)
        for row in rows:
            annotations["item_id"].append(row["COMMENT_ID"])
            annotations["label"].append(LABELS[row["CLASS"]])
            annotations["annotator_id"].append("dataset_authors")
            annotations["annotated_at"].append(None)
    table = pa.table(
        {
            "item_id": pa.array(annotations["item_id"], pa.string()),
            "label": pa.array(annotations["label"], pa.string()),
            "annotator_id": pa.array(annotations["annotator_id"], pa.string()),
            "annotated_at": pa.array(annotations["annotated_at"], pa.timestamp("us")),
        }
    )
    pq.write_table(table, out_dir / "annotations" / "dataset_authors.parquet")


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
