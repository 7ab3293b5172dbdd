"""Duplicate clusters from duplicate pairs and a shared group key.

Items are numbered in landing order (``source_file``, then ``source_row_number``, then
``item_id``). Exact pairs and a shared group key join items transitively (connected
components: identical texts, one conversation); near pairs join those units to a leader,
the first unit of the cluster, which each of them is directly similar to. A cluster is
named after its first-landed member whatever the order the pairs arrive in: the same
items and pairs always give the same ``cluster_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from smartloop import frames


class ClusterError(ValueError):
    """Clusters that cannot be built from these settings; the message is one sentence."""


def find_root(parent: list[int], node: int) -> int:
    """The root of ``node``'s set, halving the path on the way up.

    >>> parent = [0, 0, 1, 2]
    >>> find_root(parent, 3)
    0
    >>> parent  # node 3 now points at its grandparent
    [0, 0, 1, 1]
    """
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def union(parent: list[int], a: int, b: int) -> None:
    """Merge the sets of ``a`` and ``b``; the smaller root becomes the root of both.

    >>> parent = [0, 1, 2]
    >>> union(parent, 2, 1)
    >>> parent
    [0, 1, 1]
    """
    root_a, root_b = find_root(parent, a), find_root(parent, b)
    if root_a < root_b:
        parent[root_b] = root_a
    elif root_b < root_a:
        parent[root_a] = root_b


def connected_components(n_nodes: int, links: Iterable[tuple[int, int]]) -> np.ndarray:
    """The root of each node's component: its smallest node number.

    Nodes are ``0 .. n_nodes - 1``; a link joins two nodes; a node without links is a
    component of its own.

    >>> connected_components(6, [(4, 5), (1, 3), (3, 4)]).tolist()
    [0, 1, 2, 1, 1, 1]
    >>> connected_components(3, []).tolist()
    [0, 1, 2]
    """
    parent = list(range(n_nodes))
    for a, b in links:
        union(parent, a, b)
    roots = np.asarray(parent, dtype=np.int64)
    # every parent is smaller than its child, so jumping to grandparents converges to the roots
    while True:
        jumped = roots[roots]
        if np.array_equal(jumped, roots):
            return roots
        roots = jumped


def group_links(group_values: Sequence[object]) -> list[tuple[int, int]]:
    """Links from each node to the first node with the same non-empty group value.

    ``None``, NaN and blank strings are no group: such a node gets no link.

    >>> group_links(["a", None, "a", " ", "b", "a", "b"])
    [(0, 2), (0, 5), (4, 6)]
    """
    values = pd.Series(group_values, dtype=object)
    values = values.where(values.notna() & (values.astype(str).str.strip() != ""))
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    grouped = np.flatnonzero(codes >= 0)
    if grouped.size == 0:
        return []
    _, first_position = np.unique(codes[grouped], return_index=True)
    first_of_code = np.full(codes.max() + 1, -1, dtype=np.int64)
    first_of_code[codes[grouped[first_position]]] = grouped[first_position]
    firsts = first_of_code[codes[grouped]]
    keep = firsts != grouped
    return list(zip(firsts[keep].tolist(), grouped[keep].tolist(), strict=True))


def leader_clusters(n_units: int, links: Iterable[tuple[int, int]]) -> np.ndarray:
    """The leader of each unit: units are taken in order (0, 1, ...); a unit no leader has
    claimed becomes a leader and claims every unclaimed unit it links to directly.

    Every member is linked to its leader, so a cluster never chains dissimilar texts
    together the way connected components do (a ~ b ~ c with a and c far apart). A leader
    is its cluster's smallest unit: a linked smaller unit would have led or been claimed.

    >>> leader_clusters(6, [(1, 2), (2, 3), (3, 4), (0, 5)]).tolist()
    [0, 1, 1, 3, 3, 0]
    >>> leader_clusters(3, []).tolist()
    [0, 1, 2]
    """
    pairs = np.asarray(list(links), dtype=np.int64).reshape(-1, 2)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    source = np.concatenate([pairs[:, 0], pairs[:, 1]])
    target = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.lexsort((target, source))
    source, target = source[order], target[order]
    starts = np.searchsorted(source, np.arange(n_units + 1))
    leader = np.arange(n_units, dtype=np.int64)
    claimed = np.zeros(n_units, dtype=bool)
    for unit in np.unique(source).tolist():
        if claimed[unit]:
            continue
        claimed[unit] = True
        members = target[starts[unit] : starts[unit + 1]]
        members = members[~claimed[members]]
        claimed[members] = True
        leader[members] = unit
    return leader


def cluster_table(
    item_ids: Sequence[str],
    pairs_a: Sequence[str],
    pairs_b: Sequence[str],
    group_values: Sequence[object] | None = None,
    exact: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """One row per item: ``item_id``, ``cluster_id`` and ``cluster_size``.

    ``item_ids`` are in landing order. Exact pairs (``exact``; every pair when it is
    omitted) and items sharing a group value form units, their connected components; a
    near pair links two units, which :func:`leader_clusters` groups so that every unit of a
    cluster is a near duplicate of the cluster's first unit. ``cluster_id`` is the
    item_id of the cluster's first-landed member. Pairs naming an item that is not in
    ``item_ids`` are an error.

    >>> cluster_table(["x", "y", "z", "w"], ["w"], ["y"], ["g", None, "g", None])
      item_id cluster_id  cluster_size
    0       x          x             2
    1       y          y             2
    2       z          x             2
    3       w          y             2
    """
    ids = pd.Index(item_ids)
    if not ids.is_unique:
        raise ClusterError("item_id is not unique among the items to cluster.")
    first = ids.get_indexer(pd.Index(pairs_a))
    second = ids.get_indexer(pd.Index(pairs_b))
    if (first < 0).any() or (second < 0).any():
        unknown = [*np.asarray(pairs_a)[first < 0], *np.asarray(pairs_b)[second < 0]]
        raise ClusterError(
            f"a duplicate pair names item_id {str(unknown[0])!r}, which is not an item."
        )
    is_exact = np.ones(len(first), dtype=bool) if exact is None else np.asarray(exact, bool)
    links: list[tuple[int, int]] = list(
        zip(first[is_exact].tolist(), second[is_exact].tolist(), strict=True)
    )
    if group_values is not None:
        links.extend(group_links(group_values))
    units = connected_components(len(ids), links)
    near = zip(units[first[~is_exact]].tolist(), units[second[~is_exact]].tolist(), strict=True)
    roots = leader_clusters(len(ids), near)[units]
    sizes = np.bincount(roots, minlength=len(ids))[roots] if len(ids) else roots
    return pd.DataFrame(
        {
            # typed as text even when empty, so the table's columns never have type NULL
            "item_id": pd.Series(ids.to_numpy(dtype=object), dtype="string"),
            "cluster_id": pd.Series(ids.to_numpy(dtype=object)[roots], dtype="string"),
            "cluster_size": np.asarray(sizes, dtype=np.int64),
        }
    )


def duplicate_clusters(items: Any, pairs: Any, group_column: str = "") -> pd.DataFrame:
    """Duplicate clusters of ``items`` (one row per item) from duplicate ``pairs``.

    ``items`` needs item_id, source_file, source_row_number and metadata (JSON text);
    ``pairs`` needs item_id_a, item_id_b and kind (``exact`` or ``near``); either may be a
    DuckDB relation, a Spark DataFrame or a pandas DataFrame (smartloop.frames). Items
    sharing a non-empty value of the metadata key ``group_column`` (for example a
    conversation id) join one cluster too. Only the columns needed leave the engine.
    """
    group_column = (group_column or "").strip()
    columns = ["item_id", "source_file", "source_row_number"]
    item_frame = frames.to_pandas(items, columns + (["metadata"] if group_column else []))
    # landing order, as the module docstring says
    item_frame = item_frame.sort_values(
        ["source_file", "source_row_number", "item_id"], kind="stable", ignore_index=True
    )
    group_values = None
    if group_column:
        documents = [_json_object(text) for text in item_frame["metadata"]]
        if documents and not any(group_column in document for document in documents):
            known = sorted({key for document in documents for key in document})
            raise ClusterError(
                f"duplicate_group_column '{group_column}' is not a metadata column of any "
                f"item (metadata columns: {', '.join(known) or 'none'})."
            )
        group_values = np.array(
            [_json_text(document.get(group_column)) for document in documents], dtype=object
        )
    pair_frame = frames.to_pandas(pairs, ["item_id_a", "item_id_b", "kind"])
    return cluster_table(
        item_frame["item_id"].to_numpy(dtype=object),
        pair_frame["item_id_a"].to_numpy(dtype=object),
        pair_frame["item_id_b"].to_numpy(dtype=object),
        group_values,
        exact=(pair_frame["kind"] == "exact").to_numpy(dtype=bool),
    )


def _json_object(text: str | None) -> dict[str, Any]:
    """A metadata JSON object (empty for NULL or anything but an object)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return {}
    document = json.loads(text)
    return document if isinstance(document, dict) else {}


def _json_text(value: Any) -> str | None:
    """A JSON value as SQL's ``->>`` gives it: a string as it is, anything else as JSON.

    >>> [_json_text(v) for v in ("t1", 5, None, [1, 2])]
    ['t1', '5', None, '[1,2]']
    """
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))
