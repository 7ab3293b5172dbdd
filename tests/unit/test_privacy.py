"""Keyed pseudonyms as the warehouse computes them (smartloop_pseudonymise)."""

from __future__ import annotations

import pyarrow as pa

from smartloop.privacy import KEY_ENV, pseudonymise, pseudonymise_arrow


def test_arrow_pseudonyms_equal_pseudonymise_and_follow_the_key(monkeypatch) -> None:
    values = ["Ann", " Ann ", None, "Bob", "  ", "Ann"]
    by_key = {}
    for key in ("first key", "second key", "first key"):
        monkeypatch.setenv(KEY_ENV, key)
        out = pseudonymise_arrow(pa.array(values, type=pa.string())).to_pylist()
        assert out == [pseudonymise(v, key.encode()) for v in values]
        by_key[key] = out
    assert out[0] == out[1] == out[5] and out[2] is None and out[4] is None
    assert by_key["first key"][0] != by_key["second key"][0]
