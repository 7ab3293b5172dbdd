"""cleanlab's Datalab on arrays ``smartloop bench`` saved, in a process of its own.

``python -m smartloop.bench_datalab DIR`` reads ``features.npy``, ``pred_probs.npy`` and
``labels.npy`` from DIR, runs ``Datalab.find_issues`` for label issues, near duplicates and
outliers, and writes ``datalab.json`` beside them. Running in its own process gives the
benchmark Datalab's own wall time and peak memory (``os.wait4`` in the parent), untouched by
the builds before it. Needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ISSUE_TYPES = {"label": {}, "near_duplicate": {}, "outlier": {}}


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    features = np.load(folder / "features.npy")
    pred_probs = np.load(folder / "pred_probs.npy")
    labels = np.load(folder / "labels.npy")
    started = time.perf_counter()
    from cleanlab import Datalab

    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    lab = Datalab(data={"label": labels}, label_name="label", verbosity=0)
    lab.find_issues(features=features, pred_probs=pred_probs, issue_types=ISSUE_TYPES)
    seconds = time.perf_counter() - started
    label_issues = lab.get_issues("label")["is_label_issue"].to_numpy()
    near_sets = lab.get_info("near_duplicate")["near_duplicate_sets"]
    outliers = lab.get_issues("outlier")["is_outlier_issue"].to_numpy()
    result = {
        "import_seconds": round(import_seconds, 2),
        "find_issues_seconds": round(seconds, 2),
        "label_issue_rows": np.flatnonzero(label_issues).tolist(),
        "near_duplicate_links": [
            [i, int(j)] for i, near in enumerate(near_sets) for j in near if i < int(j)
        ],
        "n_outliers": int(outliers.sum()),
    }
    (folder / "datalab.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
