"""Synthetic landing data with planted, recorded problems, for benchmarks and tests.

``smartloop synth --n N --seed S --out DIR`` writes a landing folder in the contract (items
in several batch files; one label per item by annotator ``synth``, or three by a crowd of
five annotators of varied accuracy for part of the items; bad rows of every quarantine
reason in ``defects.csv`` files) and a ``truth/`` folder with what was planted: the PII in
each text (every type the redaction detects), the near-duplicate copies (casing,
punctuation, swapped or inserted words, changed URLs) and exact copies with their
originals, the label flips (uniform, and concentrated in one 2-way slice), the crowd's
items with their true labels, the annotators' accuracies, and the bad rows as
``rpt_quarantine`` lists them. Texts are short messages: an opener, a body template and a
closer of the message's class, slots filled from a vocabulary, sometimes a filler word
(independently written messages rarely repeat at 100k items); a few messages come from
templates both classes write, so a classifier is good (about 97% on the true labels) but
not perfect. The work is vectorised with numpy: a million items take seconds.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NAMES = [
    *("alex", "sam", "maria", "li", "omar", "yuki", "ana", "john", "fatima", "ivan", "zoe"),
    *("priya", "tom", "chen", "lucas", "amara", "noah", "sofia", "kai", "leila", "ben"),
    *("grace", "mateo", "hana", "david", "nia", "oscar", "elif", "ravi", "lena", "tariq"),
    *("mia", "jonas", "aisha", "pablo", "ines", "felix", "rosa", "kenji", "dara", "hugo"),
]
DOMAINS = ["example.com", "mail.example.org", "post.example.net", "inbox.example.io"]
# A message: an opener, a body from its class's templates (or, for a few, from templates
# both classes write, which the text alone cannot tell apart), a closer, and now and then a
# filler word; every slot is filled from WORDS.
HAM_TEMPLATES = [
    "are we still on for {day} at the {place}",
    "thanks for the {thing}, it was {adj}",
    "can you pick up the {thing} on the way home",
    "the {place} was {adj} today, see you {day}",
    "did you watch the {show} last night? {adj} ending",
    "running late, stuck at the {place}, be there in {n} minutes",
    "happy birthday {name}! hope the {thing} is {adj}",
    "meeting moved to {day}, bring the {thing} please",
    "love this song, reminds me of the {place} in {year}",
    "i think the {show} gets better every season",
    "{name} left the {thing} at the {place} again",
    "who is coming to the {show} on {day}",
    "this {show} is so {adj}, watched it {n} times",
    "my {relative} says the {food} at the {place} is {adj}",
    "cant find my {thing}, did i leave it at the {place}",
    "first time hearing this in {year} and it is still {adj}",
    "dinner at {time}? i can make {food}",
    "the {relative} is visiting on {day}, tidy the {room}",
    "i fell asleep during the {show} again",
    "the {food} at the {place} was {adj}, lets go back {day}",
    "{name} and i are at the {place}, join us at {time}",
    "the bus to the {place} is {n} minutes late",
    "still have your {thing}, can drop it off {day}",
    "who else is here from the {show} in {year}",
]
SPAM_TEMPLATES = [
    "congratulations you won a {prize}! claim now at {url}",
    "urgent: your account is locked, verify at {url} within {n} hours",
    "free {prize} for the first {n} people, reply yes",
    "check out my channel for {adj} {show} covers {url}",
    "you have been selected for a {prize}, call now",
    "cheap {thing} {n}% off today only {url}",
    "subscribe and like for a chance to win a {prize}",
    "earn {n}00 a day from home, no experience needed {url}",
    "your {prize} is waiting, confirm your details at {url}",
    "i made {n}00 dollars this week working from my {room}, ask me how",
    "get {n} free {thing} when you sign up at {url}",
    "visit my page for {adj} {show} clips every {day}",
    "last chance to claim your {prize} before {day}",
    "we tried to deliver your {thing}, reschedule at {url}",
    "click {url} to double your followers in {n} days",
    "promo code {code} gives {n}% off {thing} at {url}",
    "lonely {day} night? meet singles near the {place} at {url}",
    "your {relative} won a {prize}, call us to collect it",
]
# Messages both classes write (a spammer's friendly opener, a fan asking for subscribers).
SHARED_TEMPLATES = [
    "nice {show}, check out mine too",
    "who is watching this in {year}",
    "this {show} deserves more views",
    "hey everyone, please subscribe to my {show} channel",
    "{adj} video, see my {show} as well",
    "i have a {adj} {show} for you",
]
OPENERS = {
    "ham": ["", "", "", "", "hey", "hi", "ok", "lol", "omg", "so", "btw", "{name},",
            "hey {name}", "morning", "yo", "wait"],
    "spam": ["", "", "", "", "hi", "hello friend", "dear user", "attention", "wow", "hey",
             "{name}!", "good news", "hello"],
    "shared": ["", "", "", "hey", "hi", "wow", "omg", "hello"],
}  # fmt: skip
CLOSERS = {
    "ham": ["", "", "", "", "x", "xx", "see ya", "cheers", "thanks", ":)", "lol", "love you",
            "talk later", "k", "haha", "no worries"],
    "spam": ["", "", "", "", "limited time", "act fast", "dont miss out", "t&c apply",
             "100% real", "thank me later", "hurry", "no scam", "offer ends soon", "share this"],
    "shared": ["", "", "", ":)", "thanks", "haha", "lol"],
}  # fmt: skip
FILLERS = ["really", "honestly", "literally", "actually", "maybe", "totally", "please",
           "seriously", "today", "again", "just", "still"]  # fmt: skip
URL_HOSTS = [
    *("http://win.example.com", "https://promo.example.net", "www.deal.example.org"),
    *("https://bit.example.co", "http://gifts.example.info", "https://shop.example.biz"),
    *("http://free.example.live", "https://go.example.click"),
]
URL_PATHS = ["claim", "x", "offer", "prize/now", "go", "win", "free", "promo/2026", "deal",
             "bonus", "vip", "signup"]  # fmt: skip
WORDS = {
    "day": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            "tonight", "tomorrow", "next week", "the weekend"],
    "place": ["cafe", "station", "gym", "office", "park", "library", "cinema", "beach",
              "market", "pub", "stadium", "museum", "bakery", "pool", "airport", "mall",
              "school", "garden", "harbour", "bridge"],
    "thing": ["tickets", "groceries", "charger", "book", "cake", "keys", "umbrella", "laptop",
              "headphones", "jacket", "camera", "wallet", "bike", "guitar", "phone case",
              "sunglasses", "backpack", "watch", "shoes", "lamp"],
    "adj": ["great", "awful", "amazing", "weird", "lovely", "boring", "brilliant", "fine",
            "epic", "sad", "funny", "strange", "perfect", "terrible", "cute", "wild"],
    "show": ["series", "match", "concert", "movie", "documentary", "game", "cover", "remix",
             "podcast", "vlog", "tutorial", "live stream"],
    "prize": ["iphone", "gift card", "holiday", "car", "cash prize", "voucher", "laptop",
              "tablet", "cruise", "bonus", "smart watch", "shopping spree"],
    "url": [f"{host}/{path}" for host in URL_HOSTS for path in URL_PATHS],
    "year": ["2009", "2012", "2014", "2015", "2017", "2019", "2021", "2023", "2025"],
    "food": ["pasta", "curry", "pizza", "soup", "tacos", "sushi", "salad", "pancakes",
             "noodles", "burgers"],
    "relative": ["mum", "dad", "sister", "brother", "aunt", "uncle", "grandma", "cousin"],
    "room": ["kitchen", "bedroom", "living room", "garage", "bathroom", "hallway"],
    "time": ["6pm", "7pm", "8pm", "noon", "half six", "nine", "lunch", "midnight"],
    "code": ["save", "deal", "vip", "bonus", "gift", "win", "free", "promo"],
}  # fmt: skip
PII_TYPES = ["EMAIL", "PHONE", "CARD", "IBAN", "SSN", "IP_ADDRESS", "HANDLE", "URL_SECRET"]
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
    if kind == "SSN":
        # area 001-899 without 666, group 01-99, serial 0001-9999 (the SSA's valid ranges)
        area = rng.choice([rng.randint(1, 665), rng.randint(667, 899)])
        return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
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
    "SSN": "my ssn is",
    "IP_ADDRESS": "server at",
    "HANDLE": "follow",
    "URL_SECRET": "log in via",
}

# A link of the vocabulary (not a planted URL_SECRET): its host, then its path and query.
_URL_RE = re.compile(r"((?:https?://|www\.)[^\s/?#]+)(\S*)")


def _edit(text: str, rng: random.Random) -> tuple[str, str]:
    """A light edit of a message and its kind: casing, punctuation, a swapped or inserted
    word, or a changed URL (same host, another path or query).

    >>> _edit("win now at https://promo.example.net/x", random.Random(10))
    ('win now at https://promo.example.net/free?ref=2', 'url')
    """
    words = text.split()
    links = [m for m in _URL_RE.finditer(text) if "token=" not in m.group(2)]
    choice = rng.randrange(5 if links else 4)
    if choice == 0:
        return (text.upper() if rng.random() < 0.5 else text.capitalize()), "casing"
    if choice == 1:
        return text + rng.choice(["!!", "?", " :)", "..."]), "punctuation"
    if choice == 2 and len(words) > 3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words), "swap"
    if choice == 4:
        link = rng.choice(links)
        tail = f"/{rng.choice(URL_PATHS)}"
        if rng.random() < 0.5 or tail == link.group(2):
            tail += f"?ref={rng.randint(1, 99)}"
        return text[: link.start()] + link.group(1) + tail + text[link.end() :], "url"
    words.insert(rng.randrange(len(words) + 1), rng.choice(["really", "so", "just", "now"]))
    return " ".join(words), "insert"


@dataclass
class SynthSummary:
    n_items: int
    n_pii: int
    n_near_duplicates: int
    n_exact_duplicates: int
    out_dir: Path
    n_label_flips: int = 0
    n_crowd_items: int = 0
    n_bad_rows: int = 0


DEVICES = ["android", "iphone", "desktop"]
DEVICE_SHARES = [0.5, 0.3, 0.2]
# The planted failing slice: a conjunction of two metadata columns (about 10% of the items).
FLIP_SLICE = (("device", "android"), ("video", "katy_perry"))
FLIP_SLICE_NAME = " AND ".join(f"{column} = {value}" for column, value in FLIP_SLICE)
# The crowd that labels part of the items instead of 'synth': nominal accuracy of each.
CROWD_ANNOTATORS = {
    "crowd_a": 0.65,
    "crowd_b": 0.75,
    "crowd_c": 0.85,
    "crowd_d": 0.90,
    "crowd_e": 0.95,
}
# Bad rows, one kind after the other, in items/defects.csv and annotations/defects.csv; the
# review and deletion kinds once each in reviews/defects.csv and deletions/defects.csv.
BAD_ROW_KINDS = (
    "malformed_row",
    "missing_item_id",
    "empty_text",
    "unparseable_timestamp",
    "conflicting_item_id",
    "unknown_label",
    "unknown_item",
)
ONCE_BAD_ROW_KINDS = ("missing_review_id", "invalid_action", "missing_deletion_target")
ITEM_COLUMNS = ("item_id", "text", "video", "device", "author", "created_at")


FILLER_SHARE = 0.25  # of the originals: one word of FILLERS inserted somewhere


def _compose(
    spam: np.ndarray, rng: random.Random, nprng: np.random.Generator, shared_share: float
) -> list[str]:
    """One message per entry of ``spam``: opener, body and closer of its class (or, for
    ``shared_share`` of them, of the kind both classes write), every slot filled from WORDS, and
    FILLER_SHARE of them with a filler word inserted."""
    m = len(spam)
    shared = nprng.random(m) < shared_share
    bodies = np.where(
        shared,
        nprng.integers(len(SHARED_TEMPLATES), size=m),
        np.where(
            spam,
            nprng.integers(len(SPAM_TEMPLATES), size=m),
            nprng.integers(len(HAM_TEMPLATES), size=m),
        ),
    ).tolist()
    pools = [HAM_TEMPLATES, SPAM_TEMPLATES, SHARED_TEMPLATES]
    parts = {}
    for name in ("ham", "spam", "shared"):
        parts[name] = (
            np.asarray(OPENERS[name], dtype=object)[nprng.integers(len(OPENERS[name]), size=m)],
            np.asarray(CLOSERS[name], dtype=object)[nprng.integers(len(CLOSERS[name]), size=m)],
        )
    kind = np.where(shared, 2, spam.astype(np.int64))
    pool = kind.tolist()
    openers = np.choose(kind, [parts[name][0] for name in ("ham", "spam", "shared")]).tolist()
    closers = np.choose(kind, [parts[name][1] for name in ("ham", "spam", "shared")]).tolist()
    fill = {
        key: np.asarray(values, dtype=object)[nprng.integers(len(values), size=m)].tolist()
        for key, values in WORDS.items()
    }
    fill["name"] = np.asarray(NAMES, dtype=object)[nprng.integers(len(NAMES), size=m)].tolist()
    fill["n"] = nprng.integers(2, 61, size=m).tolist()
    keys = list(fill)
    columns = [fill[key] for key in keys]
    fillers = np.flatnonzero(nprng.random(m) < FILLER_SHARE).tolist()
    texts = []
    for j, values in enumerate(zip(*columns, strict=True)):
        slots = dict(zip(keys, values, strict=True))
        body = pools[pool[j]][bodies[j]].format(**slots)
        opener, closer = openers[j].format(**slots), closers[j]
        texts.append(" ".join(part for part in (opener, body, closer) if part))
    for j in fillers:
        words = texts[j].split(" ")
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
        texts[j] = " ".join(words)
    return texts


def _messages(
    ids: list[str],
    is_spam: np.ndarray,
    roles: np.ndarray,
    rng: random.Random,
    nprng: np.random.Generator,
    shared_share: float,
) -> tuple[list[str], list[tuple], list[tuple], list[tuple]]:
    """The texts (originals from templates, some with PII; near and exact copies of earlier
    originals, which take their original's class in ``is_spam``) and the truth rows."""
    originals = np.flatnonzero(roles == 0)
    copies = np.flatnonzero(roles != 0)
    # each copy repeats an original landed before it (originals[0] is item 0)
    landed_before = np.searchsorted(originals, copies)
    sources = originals[(nprng.random(len(copies)) * landed_before).astype(np.int64)]
    is_spam[copies] = is_spam[sources]
    texts = _compose(is_spam[originals], rng, nprng, shared_share)
    m = len(originals)
    pii_rows = []
    pii_kinds = nprng.integers(len(PII_TYPES), size=m)
    for j in np.flatnonzero(nprng.random(m) < 0.10).tolist():
        kind = PII_TYPES[pii_kinds[j]]
        texts[j] = f"{texts[j]} {PII_LEADS[kind]} {_pii_value(kind, rng)}"
        pii_rows.append((ids[originals[j]], kind))
    out = np.empty(len(ids), dtype=object)
    out[originals] = texts
    near_rows, exact_rows = [], []
    for i, source, role in zip(
        copies.tolist(), sources.tolist(), roles[copies].tolist(), strict=True
    ):
        if role == 1:
            out[i], kind = _edit(out[source], rng)
            near_rows.append((ids[source], ids[i], kind))
        else:
            out[i] = out[source]
            exact_rows.append((ids[source], ids[i]))
    return out.tolist(), pii_rows, near_rows, exact_rows


def _crowd(
    true_spam: np.ndarray, nprng: np.random.Generator, per_item: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``per_item`` distinct crowd annotators per item and the label each gives (right with
    its nominal accuracy against the true label): (annotator index, says spam, is right),
    each of shape (items, per_item)."""
    accuracy = np.array(list(CROWD_ANNOTATORS.values()))
    chosen = np.argsort(nprng.random((len(true_spam), len(accuracy))), axis=1)[:, :per_item]
    right = nprng.random(chosen.shape) < accuracy[chosen]
    says_spam = np.where(right, true_spam[:, None], ~true_spam[:, None])
    return chosen, says_spam, right


def generate(
    n: int,
    seed: int,
    out_dir: Path,
    *,
    n_batches: int = 5,
    flip_rate: float = 0.01,
    slice_flip_rate: float = 0.15,
    crowd_share: float = 0.1,
    crowd_per_item: int = 3,
    bad_row_share: float = 0.002,
    shared_share: float = 0.06,
) -> SynthSummary:
    """Write ``n`` items (with planted PII, duplicates, label flips, a crowd and bad rows) as
    landing data, and what was planted in ``truth/``.

    Label flips: ``flip_rate`` of all items get the other label, chosen uniformly, and
    ``slice_flip_rate`` of the other items of one slice (``device = android AND video =
    katy_perry``, :data:`FLIP_SLICE`) as well, so a model's error rate there is about that
    much higher. ``truth/label_flips.csv`` records every flip with the true label and its kind
    (uniform or slice). ``slice_flip_rate=0`` plants no failing slice. Every item has one
    label by annotator ``synth`` (``annotations/labels.parquet``) except ``crowd_share`` of
    the items, drawn from the unflipped ones: ``crowd_per_item`` of the annotators of
    :data:`CROWD_ANNOTATORS` label each (``annotations/crowd.csv``), right with their
    accuracy against the true label (``truth/crowd.csv``, ``truth/annotators.csv``).
    ``shared_share`` of the originals are written from templates both classes use, which
    the text cannot tell apart: the model's own, unplanted failing slices (spam without a
    link); ``shared_share=0`` leaves the planted slice as the only one.
    ``bad_row_share`` of ``n`` (at least one of each kind) are bad rows of every quarantine
    reason in files of their own (``defects.csv`` in each folder, read after the batches);
    ``truth/bad_rows.csv`` lists them as ``rpt_quarantine`` will.
    """
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    for sub in ("items", "annotations", "truth"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    ids = [f"s{seed}-{i:08d}" for i in range(n)]
    is_spam = nprng.random(n) < 0.45
    roles = nprng.choice(3, size=n, p=[0.90, 0.06, 0.04])  # original, near copy, exact copy
    roles[:1] = 0
    texts, pii_rows, near_rows, exact_rows = _messages(
        ids, is_spam, roles, rng, nprng, shared_share
    )
    videos = nprng.choice(VIDEOS, size=n)
    devices = nprng.choice(DEVICES, size=n, p=DEVICE_SHARES)
    authors = [f"user {k}" for k in nprng.integers(0, max(2, n // 20), size=n).tolist()]
    boundaries = np.linspace(0, n, n_batches + 1).astype(int)
    batch = np.searchsorted(boundaries[1:], np.arange(n), side="right")
    created_at = (
        np.datetime64("2026-01-01T00:00:00")
        + (batch * 86_400 + nprng.integers(0, 86_400, size=n)).astype("timedelta64[s]")
    ).astype(str)
    columns = (ids, texts, videos.tolist(), devices.tolist(), authors, created_at.tolist())
    rows = list(zip(*columns, strict=True))
    for b in range(n_batches):
        write_csv(
            out_dir / "items" / f"batch_{b:03d}.csv",
            ITEM_COLUMNS,
            rows[boundaries[b] : boundaries[b + 1]],
        )

    true_labels = np.where(is_spam, "spam", "ham")
    uniform_flips = nprng.choice(n, size=round(n * flip_rate), replace=False)
    in_slice = np.ones(n, dtype=bool)
    for column, value in FLIP_SLICE:
        in_slice &= {"video": videos, "device": devices}[column] == value
    candidates = np.setdiff1d(np.flatnonzero(in_slice), uniform_flips)
    slice_flips = nprng.choice(
        candidates, size=round(len(candidates) * slice_flip_rate), replace=False
    )
    labels = true_labels.copy()
    flipped = np.concatenate([uniform_flips, slice_flips])
    labels[flipped] = np.where(true_labels[flipped] == "spam", "ham", "spam")
    flip_rows = [(ids[i], true_labels[i], labels[i], "uniform") for i in sorted(uniform_flips)]
    flip_rows += [(ids[i], true_labels[i], labels[i], "slice") for i in sorted(slice_flips)]

    # The crowd labels part of the unflipped items; every other item keeps its one label.
    is_flipped = np.zeros(n, dtype=bool)
    is_flipped[flipped] = True
    unflipped = np.flatnonzero(~is_flipped)
    crowd = np.sort(
        nprng.choice(unflipped, size=min(len(unflipped), round(n * crowd_share)), replace=False)
    )
    chosen, says_spam, right = _crowd(is_spam[crowd], nprng, crowd_per_item)
    names = np.array(list(CROWD_ANNOTATORS))
    annotated_at = (
        np.datetime64("2026-01-10T00:00:00")
        + nprng.integers(0, 14 * 86_400, size=chosen.shape).astype("timedelta64[s]")
    ).astype(str)
    crowd_ids = np.asarray(ids, dtype=object)[crowd]
    write_csv(
        out_dir / "annotations" / "crowd.csv",
        ("item_id", "label", "annotator_id", "annotated_at"),
        zip(
            np.repeat(crowd_ids, crowd_per_item).tolist(),
            np.where(says_spam, "spam", "ham").ravel().tolist(),
            names[chosen].ravel().tolist(),
            annotated_at.ravel().tolist(),
            strict=True,
        ),
    )
    synth_labelled = np.ones(n, dtype=bool)
    synth_labelled[crowd] = False
    pq.write_table(
        pa.table(
            {
                "item_id": pa.array(np.asarray(ids, dtype=object)[synth_labelled].tolist()),
                "label": pa.array(labels[synth_labelled].tolist()),
                "annotator_id": pa.array(["synth"] * int(synth_labelled.sum())),
            }
        ),
        out_dir / "annotations" / "labels.parquet",
    )
    given = np.bincount(chosen.ravel(), minlength=len(names))
    correct = np.bincount(chosen.ravel(), weights=right.ravel(), minlength=len(names))
    annotator_rows = [
        (name, accuracy, round(float(correct[a] / given[a]), 4) if given[a] else "", int(given[a]))
        for a, (name, accuracy) in enumerate(CROWD_ANNOTATORS.items())
    ]

    bad_rows = _write_bad_rows(out_dir, seed, ids, texts, nprng, bad_row_share)

    truth = out_dir / "truth"
    for name, truth_rows, header in (
        ("pii.csv", pii_rows, ("item_id", "pii_type")),
        ("near_duplicates.csv", near_rows, ("original_item_id", "item_id", "edit")),
        ("exact_duplicates.csv", exact_rows, ("original_item_id", "item_id")),
        ("label_flips.csv", flip_rows, ("item_id", "true_label", "given_label", "kind")),
        ("crowd.csv", zip(crowd_ids.tolist(), true_labels[crowd].tolist(), strict=True),
         ("item_id", "true_label")),
        ("annotators.csv", annotator_rows,
         ("annotator_id", "accuracy", "realised_accuracy", "n_annotations")),
        ("bad_rows.csv", bad_rows, ("source_file", "source_row_number", "reason_code")),
    ):  # fmt: skip
        write_csv(truth / name, header, truth_rows)
    summary = SynthSummary(
        n,
        len(pii_rows),
        len(near_rows),
        len(exact_rows),
        out_dir,
        n_label_flips=len(flip_rows),
        n_crowd_items=len(crowd),
        n_bad_rows=len(bad_rows),
    )
    (truth / "summary.json").write_text(
        json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in summary.__dict__.items()})
    )
    return summary


def _write_bad_rows(
    out_dir: Path,
    seed: int,
    ids: list[str],
    texts: list[str],
    nprng: np.random.Generator,
    share: float,
) -> list[tuple[str, int, str]]:
    """Bad rows of every quarantine reason in ``defects.csv`` files (sorted after the batches,
    so a re-landed item_id conflicts with its first version); returns (source_file,
    source_row_number, reason_code) numbered as the landing reader numbers CSV rows (data
    rows from 1)."""
    n_main = max(len(BAD_ROW_KINDS), round(share * len(ids)))
    # accepted items the bad rows point at: re-landed with other text, or labelled wrongly
    targets = nprng.choice(len(ids), size=min(len(ids), n_main + 2), replace=False).tolist()
    item_rows: list[tuple] = []
    annotation_rows: list[tuple] = []
    truth: list[tuple[str, int, str]] = []
    quarantined_ids: list[str] = []
    for k in range(n_main):
        kind = BAD_ROW_KINDS[k % len(BAD_ROW_KINDS)]
        bad_id = f"s{seed}-bad-{k:06d}"
        target = targets[k]
        row = [bad_id, f"landed again {texts[target]}", "psy", "iphone", "user 0",
               "2026-01-31T08:00:00"]  # fmt: skip
        if kind in ("unknown_label", "unknown_item"):
            if kind == "unknown_label":
                annotation = (ids[target], ("", "promo", "Spam!")[k % 3], "synth", "")
            else:
                gone = (
                    quarantined_ids[k % len(quarantined_ids)]
                    if k % 2 and quarantined_ids
                    else f"s{seed}-gone-{k}"
                )
                annotation = (gone, "spam", "synth", "")
            annotation_rows.append(annotation)
            truth.append(("annotations/defects.csv", len(annotation_rows), kind))
            continue
        if kind == "malformed_row":
            row.append("an extra field")
        elif kind == "missing_item_id":
            row[0] = ""
        elif kind == "empty_text":
            row[1] = ("", "   ", "<br />", "<p> </p>")[k % 4]
        elif kind == "unparseable_timestamp":
            row[5] = ("yesterday at noon", "not a date", "2026-13-45")[k % 3]
        else:  # conflicting_item_id: an accepted item_id again, with other text
            row[0] = ids[target]
        if kind != "conflicting_item_id" and row[0]:
            quarantined_ids.append(row[0])
        item_rows.append(tuple(row))
        truth.append(("items/defects.csv", len(item_rows), kind))
    write_csv(out_dir / "items" / "defects.csv", ITEM_COLUMNS, item_rows)
    write_csv(
        out_dir / "annotations" / "defects.csv",
        ("item_id", "label", "annotator_id", "annotated_at"),
        annotation_rows,
    )
    for sub in ("reviews", "deletions"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    reviewed = ids[targets[-1]]
    write_csv(
        out_dir / "reviews" / "defects.csv",
        ("review_id", "item_id", "action", "label", "reviewer", "reason", "created_at"),
        [
            ("", reviewed, "confirm", "", "rita", "", "2026-02-01T09:00:00"),
            (f"s{seed}-review-1", reviewed, "approve", "", "rita", "", "2026-02-01T09:05:00"),
        ],
    )
    truth += [
        ("reviews/defects.csv", 1, "missing_review_id"),
        ("reviews/defects.csv", 2, "invalid_action"),
    ]
    write_csv(
        out_dir / "deletions" / "defects.csv",
        ("item_id", "pseudonym", "requested_at", "reason"),
        [("", "", "2026-02-02T10:00:00", "forget me")],
    )
    truth.append(("deletions/defects.csv", 1, "missing_deletion_target"))
    return sorted(truth)


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
    write_csv(out_dir / "items" / "items.csv", ("item_id", "text"), item_rows)
    write_csv(
        out_dir / "annotations" / "crowd.csv",
        ("item_id", "annotator_id", "label", "annotated_at"),
        annotation_rows,
    )
    write_csv(
        out_dir / "label_schema.csv",
        ("label", "description", "is_active", "replaced_by"),
        [(label, f"The text is {label}.", "true", "") for label in labels],
    )
    (out_dir / "smartloop.yml").write_text(
        "label_schema_file: label_schema.csv\n", encoding="utf-8"
    )
    write_csv(
        out_dir / "truth" / "labels.csv",
        ("item_id", "label"),
        [(f"crowd-{i:06d}", labels[int(k)]) for i, k in enumerate(truth)],
    )
    realised = {f"annotator_{a + 1}": float(correct[a] / given[a]) for a in range(len(accuracies))}
    write_csv(
        out_dir / "truth" / "annotators.csv",
        ("annotator_id", "accuracy", "realised_accuracy"),
        [(name, accuracies[a], realised[name]) for a, name in enumerate(realised)],
    )
    return realised


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """A CSV file with a header row, its folder made if needed (landing data, truth files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
