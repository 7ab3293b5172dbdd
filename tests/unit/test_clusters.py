"""Duplicate clusters: union-find over exact pairs and a group key, leaders over near pairs
(smartloop.clusters)."""

from __future__ import annotations

import json
import random

import duckdb
import pytest

from smartloop.clusters import (
    ClusterError,
    cluster_table,
    connected_components,
    duplicate_clusters,
    group_links,
)

# (items in landing order, pairs, group values or None, expected cluster_id per item);
# "bc" is an exact pair, "b~c" a near pair
CASES = {
    "singletons": ("abc", [], None, "abc"),
    "one_pair": ("abc", ["bc"], None, "abb"),
    "chain": ("abcde", ["de", "cd", "bc"], None, "abbbb"),
    "chain_to_first": ("abcde", ["ea", "cd", "db"], None, "abbba"),
    "two_clusters": ("abcdef", ["af", "bd", "ce", "ec"], None, "abcbca"),
    "pair_order_free": ("abcd", ["dc", "ba", "cb"], None, "aaaa"),
    "repeated_pair": ("abc", ["ab", "ba", "ab"], None, "aac"),
    "group_key": ("abcd", [], ["g", None, "g", "h"], "abad"),
    "blank_group": ("abc", [], [" ", "", None], "abc"),
    "group_and_pairs": ("abcde", ["de"], ["x", "y", "x", "y", None], "ababb"),
    # near pairs: every member is a near duplicate of its cluster's first unit
    "near_pair": ("abc", ["b~c"], None, "abb"),
    "near_chain_breaks": ("abcde", ["d~e", "c~d", "b~c"], None, "abbdd"),
    "near_star": ("abcd", ["a~d", "a~c", "b~a"], None, "aaaa"),
    "near_to_first_leader": ("abcd", ["b~d", "a~d", "c~d"], None, "abca"),
    "near_between_exact_groups": ("abcde", ["ac", "be", "c~e", "d~e"], None, "aaada"),
    "near_and_group": ("abcd", ["a~d", "c~d"], [None, "g", "g", None], "abba"),
}


def _split(pairs: list[str]) -> tuple[list[str], list[str], list[bool]]:
    ends = [pair.split("~") if "~" in pair else list(pair) for pair in pairs]
    return [a for a, _ in ends], [b for _, b in ends], ["~" not in pair for pair in pairs]


def clusters_of(items: str, pairs: list[str], groups: list[str | None] | None) -> str:
    first, second, exact = _split(pairs)
    table = cluster_table(list(items), first, second, groups, exact=exact)
    assert table["item_id"].tolist() == list(items)
    sizes = table.groupby("cluster_id")["item_id"].transform("size")
    assert table["cluster_size"].tolist() == sizes.tolist()
    return "".join(table["cluster_id"])


@pytest.mark.parametrize("name", CASES)
def test_cluster_ids_are_first_landed_members(name: str) -> None:
    items, pairs, groups, expected = CASES[name]
    assert clusters_of(items, pairs, groups) == expected


def test_clusters_do_not_depend_on_pair_order_or_direction() -> None:
    rng = random.Random(20111)
    items = [f"i{n:03d}" for n in range(200)]
    pairs = [(rng.choice(items), rng.choice(items), rng.random() < 0.3) for _ in range(150)]

    def table(rows: list[tuple[str, str, bool]]):
        return cluster_table(items, *(list(column) for column in zip(*rows, strict=True)))

    expected = table(pairs)
    for _ in range(5):
        rng.shuffle(pairs)
        got = table([(b, a, e) if rng.random() < 0.5 else (a, b, e) for a, b, e in pairs])
        assert got.equals(expected)


def test_every_near_member_is_linked_to_its_clusters_first_unit() -> None:
    rng = random.Random(5)
    items = [f"i{n:03d}" for n in range(300)]
    pairs = [tuple(sorted(rng.sample(range(300), 2))) for _ in range(400)]
    table = cluster_table(
        items, [items[a] for a, _ in pairs], [items[b] for _, b in pairs], exact=[False] * 400
    )
    linked = {frozenset((items[a], items[b])) for a, b in pairs}
    clusters = dict(zip(table["item_id"], table["cluster_id"], strict=True))
    assert len(set(clusters.values())) < 250  # the pairs do join items
    for item, cluster in clusters.items():
        assert item == cluster or frozenset((item, cluster)) in linked
        assert cluster <= item  # the first-landed member names the cluster


def test_connected_components_roots_are_smallest_members() -> None:
    rng = random.Random(7)
    links = [(rng.randrange(500), rng.randrange(500)) for _ in range(400)]
    roots = connected_components(500, links)
    for a, b in links:
        assert roots[a] == roots[b]
    for node, root in enumerate(roots):
        assert root <= node and roots[root] == root


def test_group_links_point_at_first_member() -> None:
    assert group_links(["a", "b", "a", None, "b", "a"]) == [(0, 2), (1, 4), (0, 5)]
    assert group_links([None, None]) == []
    assert group_links([]) == []


def test_pair_with_unknown_item_is_an_error() -> None:
    with pytest.raises(ClusterError, match="'zz', which is not an item"):
        cluster_table(["a", "b"], ["a"], ["zz"])


def test_no_items_gives_an_empty_table() -> None:
    table = cluster_table([], [], [])
    assert table.empty
    assert list(table.columns) == ["item_id", "cluster_id", "cluster_size"]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    with duckdb.connect() as connection:
        yield connection


def make_table(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple]):
    """A DuckDB relation over a new table ``name (columns)`` holding ``rows``."""
    con.execute(f"create table {name} ({columns})")
    if rows:
        con.executemany(f"insert into {name} values ({', '.join('?' for _ in rows[0])})", rows)
    return con.table(name)


def items_relation(con: duckdb.DuckDBPyConnection, rows: list[tuple]):
    rows = [(i, f, r, None if m is None else json.dumps(m)) for i, f, r, m in rows]
    columns = "item_id varchar, source_file varchar, source_row_number bigint, metadata json"
    return make_table(con, "items", columns, rows)


def pairs_relation(con: duckdb.DuckDBPyConnection, rows: list[tuple]):
    return make_table(con, "pairs", "item_id_a varchar, item_id_b varchar, kind varchar", rows)


def test_duplicate_clusters_orders_by_file_then_row(con) -> None:
    items = items_relation(
        con,
        [
            ("late", "items/b.csv", 1, {"thread": "t1"}),
            ("early", "items/a.csv", 2, {"thread": "t1"}),
            ("first", "items/a.csv", 1, {"thread": ""}),
            ("alone", "items/a.csv", 3, None),
        ],
    )
    pairs = pairs_relation(con, [("first", "late", "exact")])
    table = duplicate_clusters(items, pairs, group_column="thread")
    got = {
        item: (cluster, size)
        for item, cluster, size in table[["item_id", "cluster_id", "cluster_size"]].itertuples(
            index=False
        )
    }
    assert got == {
        "first": ("first", 3),
        "early": ("first", 3),
        "late": ("first", 3),
        "alone": ("alone", 1),
    }
    without_group = duplicate_clusters(items, pairs)
    assert dict(zip(without_group["item_id"], without_group["cluster_id"], strict=True)) == {
        "first": "first",
        "early": "early",
        "late": "first",
        "alone": "alone",
    }


def test_unknown_group_column_names_the_known_columns(con) -> None:
    items = items_relation(con, [("a", "items/a.csv", 1, {"video": "psy", "author": "x"})])
    pairs = pairs_relation(con, [])
    with pytest.raises(ClusterError) as caught:
        duplicate_clusters(items, pairs, group_column="conversation_id")
    assert str(caught.value) == (
        "duplicate_group_column 'conversation_id' is not a metadata column of any item "
        "(metadata columns: author, video)."
    )


def test_group_column_on_no_items_is_fine(con) -> None:
    items = items_relation(con, [])
    pairs = pairs_relation(con, [])
    assert duplicate_clusters(items, pairs, group_column="thread").empty
