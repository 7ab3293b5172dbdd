"""Synthetic landing data with planted, recorded problems, for benchmarks and tests.

``smartloop synth --n N --seed S --out DIR`` writes a landing folder in the contract
(items in several batch files, one annotation per item) and a ``truth/`` folder with what
was planted: the PII in each text, the near-duplicate copies and their originals, and the
exact duplicates. Texts are short messages built from templates and a vocabulary with
enough variety that a classifier is not trivially perfect.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NAMES = ["alex", "sam", "maria", "li", "omar", "yuki", "ana", "john", "fatima", "ivan", "zoe"]
DOMAINS = ["example.com", "mail.example.org", "post.example.net", "inbox.example.io"]
HAM_TEMPLATES = [
    "hey {name} are we still on for {day} at the {place}",
    "thanks for the {thing}, it was {adj}",
    "can you pick up {thing} on the way home",
    "the {place} was {adj} today, see you {day}",
    "did you watch the {show} last night? {adj} ending",
    "running late, stuck at the {place}, be there in {n} minutes",
    "happy birthday {name}! hope the {thing} is {adj}",
    "meeting moved to {day}, bring the {thing} please",
    "love this song, reminds me of the {place} in {year}",
    "i think the {show} gets better every season",
]
SPAM_TEMPLATES = [
    "congratulations you won a {prize}! claim now at {url}",
    "urgent: your account is locked, verify at {url} within {n} hours",
    "free {prize} for the first {n} people, reply yes",
    "check out my channel for {adj} {show} covers {url}",
    "you have been selected for a {prize}, call now",
    "cheap {thing} 90% off today only {url}",
    "subscribe and like for a chance to win a {prize}",
    "earn {n}00 a day from home, no experience needed {url}",
]
WORDS = {
    "day": ["monday", "tuesday", "friday", "saturday", "sunday", "tonight", "tomorrow"],
    "place": ["cafe", "station", "gym", "office", "park", "library", "cinema", "beach"],
    "thing": ["tickets", "groceries", "charger", "book", "cake", "keys", "umbrella", "laptop"],
    "adj": ["great", "awful", "amazing", "weird", "lovely", "boring", "brilliant", "fine"],
    "show": ["series", "match", "concert", "movie", "documentary", "game"],
    "prize": ["iphone", "gift card", "holiday", "car", "cash prize", "voucher"],
    "url": ["http://win.example.com/claim", "https://promo.example.net/x", "www.deal.example.org"],
    "year": ["2009", "2012", "2015", "2019", "2021"],
}
PII_TYPES = ["EMAIL", "PHONE", "CARD", "IBAN", "IP_ADDRESS", "HANDLE", "URL_SECRET"]
VIDEOS = ["psy", "katy_perry", "lmfao", "eminem", "shakira"]


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit.

    >>> luhn_complete("411111111111111")
    '4111111111111111'
    """
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return digits + str((10 - total % 10) % 10)


def iban_complete(country: str, bban: str) -> str:
    """A checksum-valid IBAN for a country code and basic bank account number.

    >>> iban_complete("GB", "WEST12345698765432")
    'GB82WEST12345698765432'
    """
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{country}{98 - number % 97:02d}{bban}"


def _pii_value(kind: str, rng: random.Random) -> str:
    if kind == "EMAIL":
        return f"{rng.choice(NAMES)}.{rng.randint(1, 999)}@{rng.choice(DOMAINS)}"
    if kind == "PHONE":
        return rng.choice(
            [
                f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                f"({rng.randint(200, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                f"+1 {rng.randint(200, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
            ]
        )
    if kind == "CARD":
        number = luhn_complete("4" + "".join(str(rng.randint(0, 9)) for _ in range(14)))
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if kind == "IBAN":
        bban = "".join(str(rng.randint(0, 9)) for _ in range(18))
        return iban_complete("DE", bban)
    if kind == "IP_ADDRESS":
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    if kind == "HANDLE":
        return f"@{rng.choice(NAMES)}_{rng.randint(10, 9999)}"
    return f"https://app.example.com/login?token={rng.getrandbits(64):016x}"


PII_LEADS = {
    "EMAIL": "mail me at",
    "PHONE": "call me on",
    "CARD": "my card is",
    "IBAN": "send it to",
    "IP_ADDRESS": "server at",
    "HANDLE": "follow",
    "URL_SECRET": "log in via",
}


def _edit(text: str, rng: random.Random) -> str:
    """A light edit of a message: casing, punctuation, a swapped or inserted word."""
    words = text.split()
    choice = rng.randrange(4)
    if choice == 0:
        return text.upper() if rng.random() < 0.5 else text.capitalize()
    if choice == 1:
        return text + rng.choice(["!!", "?", " :)", "..."])
    if choice == 2 and len(words) > 3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    words.insert(rng.randrange(len(words) + 1), rng.choice(["really", "so", "just", "now"]))
    return " ".join(words)


@dataclass
class SynthSummary:
    n_items: int
    n_pii: int
    n_near_duplicates: int
    n_exact_duplicates: int
    out_dir: Path


DEVICES = ["android", "iphone", "desktop"]
DEVICE_SHARES = [0.5, 0.3, 0.2]
# The planted failing slice: a conjunction of two metadata columns (about 10% of the items).
FLIP_SLICE = (("device", "android"), ("video", "katy_perry"))
FLIP_SLICE_NAME = " AND ".join(f"{column} = {value}" for column, value in FLIP_SLICE)


def generate(
    n: int,
    seed: int,
    out_dir: Path,
    *,
    n_batches: int = 5,
    flip_rate: float = 0.01,
    slice_flip_rate: float = 0.15,
) -> SynthSummary:
    """Write ``n`` items (with planted PII, duplicates and label flips) as landing data.

    Label flips: ``flip_rate`` of all items get the other label, chosen uniformly, and
    ``slice_flip_rate`` of the other items of one slice (``device = android AND video =
    katy_perry``, :data:`FLIP_SLICE`) as well, so a model's error rate there is about that
    much higher. ``truth/label_flips.csv`` records every flip with the true label and its kind
    (uniform or slice). ``slice_flip_rate=0`` plants no failing slice.
    """
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    for sub in ("items", "annotations", "truth"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    is_spam = nprng.random(n) < 0.45
    roles = nprng.choice(3, size=n, p=[0.90, 0.06, 0.04])  # original, near copy, exact copy
    roles[0] = 0
    texts: list[str] = []
    pii_rows: list[tuple[str, str]] = []
    near_rows: list[tuple[str, str]] = []
    exact_rows: list[tuple[str, str]] = []
    ids = [f"s{seed}-{i:08d}" for i in range(n)]
    originals: list[int] = []
    for i in range(n):
        if roles[i] and originals:
            source = originals[rng.randrange(len(originals))]
            if roles[i] == 1:
                texts.append(_edit(texts[source], rng))
                near_rows.append((ids[source], ids[i]))
            else:
                texts.append(texts[source])
                exact_rows.append((ids[source], ids[i]))
            is_spam[i] = is_spam[source]
            continue
        template = rng.choice(SPAM_TEMPLATES if is_spam[i] else HAM_TEMPLATES)
        fill = {key: rng.choice(values) for key, values in WORDS.items()}
        text = template.format(name=rng.choice(NAMES), n=rng.randint(2, 60), **fill)
        if rng.random() < 0.10:
            kind = rng.choice(PII_TYPES)
            text = f"{text} {PII_LEADS[kind]} {_pii_value(kind, rng)}"
            pii_rows.append((ids[i], kind))
        texts.append(text)
        originals.append(i)
    videos = nprng.choice(VIDEOS, size=n)
    devices = nprng.choice(DEVICES, size=n, p=DEVICE_SHARES)
    authors = [f"user {k}" for k in nprng.integers(0, max(2, n // 20), size=n)]
    boundaries = np.linspace(0, n, n_batches + 1).astype(int)
    for batch in range(n_batches):
        lo, hi = boundaries[batch], boundaries[batch + 1]
        with open(
            out_dir / "items" / f"batch_{batch:03d}.csv", "w", encoding="utf-8", newline=""
        ) as fh:
            writer = csv.writer(fh)
            writer.writerow(["item_id", "text", "video", "device", "author", "created_at"])
            for i in range(lo, hi):
                created_at = f"2026-01-{1 + batch:02d}T12:00:00"
                writer.writerow([ids[i], texts[i], videos[i], devices[i], authors[i], created_at])
    true_labels = np.where(is_spam, "spam", "ham")
    uniform_flips = nprng.choice(n, size=round(n * flip_rate), replace=False)
    columns = {"video": videos, "device": devices}
    in_slice = np.ones(n, dtype=bool)
    for column, value in FLIP_SLICE:
        in_slice &= columns[column] == value
    candidates = np.setdiff1d(np.flatnonzero(in_slice), uniform_flips)
    slice_flips = nprng.choice(
        candidates, size=round(len(candidates) * slice_flip_rate), replace=False
    )
    labels = true_labels.copy()
    flipped = np.concatenate([uniform_flips, slice_flips])
    labels[flipped] = np.where(true_labels[flipped] == "spam", "ham", "spam")
    flip_rows = [(ids[i], true_labels[i], labels[i], "uniform") for i in sorted(uniform_flips)]
    flip_rows += [(ids[i], true_labels[i], labels[i], "slice") for i in sorted(slice_flips)]
    pq.write_table(
        pa.table(
            {
                "item_id": pa.array(ids),
                "label": pa.array(labels.tolist()),
                "annotator_id": pa.array(["synth"] * n),
            }
        ),
        out_dir / "annotations" / "labels.parquet",
    )
    truth = out_dir / "truth"
    for name, rows, header in (
        ("pii.csv", pii_rows, ("item_id", "pii_type")),
        ("near_duplicates.csv", near_rows, ("original_item_id", "item_id")),
        ("exact_duplicates.csv", exact_rows, ("original_item_id", "item_id")),
        ("label_flips.csv", flip_rows, ("item_id", "true_label", "given_label", "kind")),
    ):
        with open(truth / name, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    summary = SynthSummary(n, len(pii_rows), len(near_rows), len(exact_rows), out_dir)
    (truth / "summary.json").write_text(
        json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in summary.__dict__.items()})
    )
    return summary


CROWD_LABELS = ("negative", "neutral", "positive")
CROWD_ACCURACIES = (0.55, 0.65, 0.75, 0.85, 0.95)
CROWD_WORDS = [
    *("service", "delivery", "price", "quality", "support", "staff", "product", "order"),
    *("refund", "app", "update", "screen", "battery", "store", "website", "checkout"),
    *("parcel", "driver", "menu", "room", "booking", "flight", "seat", "signal"),
    *("coverage", "invoice", "manager", "colour", "size", "fabric", "taste", "portion"),
    *("wait", "queue", "call", "email", "window", "speed", "login", "account"),
    *("password", "design", "sound", "camera", "music", "ticket"),
]


def _letters(number: int) -> str:
    """A number written in letters, so texts differ without digits a detector might read."""
    out = ""
    while True:
        number, digit = divmod(number, 26)
        out = chr(ord("a") + digit) + out
        if number == 0:
            return out


def write_crowd(
    out_dir: Path,
    n_items: int = 2000,
    *,
    accuracies: tuple[float, ...] = CROWD_ACCURACIES,
    labels: tuple[str, ...] = CROWD_LABELS,
    per_item: int = 3,
    error_bias: float = 0.8,
    seed: int = 7,
) -> dict[str, float]:
    """A landing folder labelled by a simulated crowd, with the truth beside it.

    Each item has a true label (priors 0.5 / 0.3 / 0.2 over ``labels``) and is annotated by
    ``per_item`` of the annotators ``annotator_1 ..`` picked at random. Annotator ``a`` gives
    the true label with probability ``accuracies[a]``; when wrong, it gives its own habitual
    wrong label for that true label with probability ``error_bias`` (annotators confuse
    classes systematically, as people do), otherwise any wrong label. Writes
    ``items/items.csv``, ``annotations/crowd.csv``, a label schema with ``smartloop.yml``
    naming it, and ``truth/labels.csv`` and ``truth/annotators.csv``. Returns each
    annotator's realised accuracy.
    """
    rng = np.random.default_rng(seed)
    n_labels = len(labels)
    priors = np.array([0.5, 0.3, 0.2][:n_labels] + [0.0] * max(0, n_labels - 3))
    priors = priors / priors.sum() if priors.sum() else np.full(n_labels, 1 / n_labels)
    truth = rng.choice(n_labels, size=n_items, p=priors)
    habit = [
        [rng.choice([w for w in range(n_labels) if w != k]) for k in range(n_labels)]
        for _ in accuracies
    ]
    out_dir = Path(out_dir)
    for sub in ("items", "annotations", "truth"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    start = np.datetime64("2026-01-01T00:00:00")
    item_rows, annotation_rows = [], []
    correct = np.zeros(len(accuracies))
    given = np.zeros(len(accuracies))
    for i in range(n_items):
        item_id = f"crowd-{i:06d}"
        words = " ".join(rng.choice(CROWD_WORDS, size=8))
        item_rows.append((item_id, f"{words} case {_letters(i)}"))
        for a in rng.choice(len(accuracies), size=per_item, replace=False):
            k = int(truth[i])
            if rng.random() < accuracies[a]:
                label = k
            elif rng.random() < error_bias:
                label = habit[a][k]
            else:
                label = int(rng.choice([w for w in range(n_labels) if w != k]))
            correct[a] += label == k
            given[a] += 1
            at = start + np.timedelta64(int(i * 60 + a), "s")
            annotation_rows.append((item_id, f"annotator_{a + 1}", labels[label], str(at)))
    _write_csv(out_dir / "items" / "items.csv", ("item_id", "text"), item_rows)
    _write_csv(
        out_dir / "annotations" / "crowd.csv",
        ("item_id", "annotator_id", "label", "annotated_at"),
        annotation_rows,
    )
    _write_csv(
        out_dir / "label_schema.csv",
        ("label", "description", "is_active", "replaced_by"),
        [(label, f"The text is {label}.", "true", "") for label in labels],
    )
    (out_dir / "smartloop.yml").write_text(
        "label_schema_file: label_schema.csv\n", encoding="utf-8"
    )
    _write_csv(
        out_dir / "truth" / "labels.csv",
        ("item_id", "label"),
        [(f"crowd-{i:06d}", labels[int(k)]) for i, k in enumerate(truth)],
    )
    realised = {f"annotator_{a + 1}": float(correct[a] / given[a]) for a in range(len(accuracies))}
    _write_csv(
        out_dir / "truth" / "annotators.csv",
        ("annotator_id", "accuracy", "realised_accuracy"),
        [(name, accuracies[a], realised[name]) for a, name in enumerate(realised)],
    )
    return realised


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
