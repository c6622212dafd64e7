"""A random forest's ONNX graph (skl2onnx: Imputer → binary TreeEnsembleClassifier; or one
summing TreeEnsembleRegressor, as models/anomaly.py writes) as flat numpy arrays, walked for
every row and tree at once.

The output is onnxruntime's bit for bit: missing inputs take the imputer's values (float32; no
imputer: they stay missing and take the false branch), x ≤ threshold goes to the true branch,
and the leaves' weights (the positive class's) are added in tree order in float32, as
onnxruntime's single-threaded tree ensemble adds them. Building the arrays
takes the onnx package and about a second for a large forest, so callers keep them (to_arrays,
from_arrays) rather than rebuild them for every run; walking them takes milliseconds, against
most of a second for an onnxruntime session over the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int32]


@dataclass(frozen=True)
class ForestArrays:
    """Every node of every tree (leaves point to themselves) and the imputer's values."""

    imputed: NDArray[np.float32]
    roots: IntArray
    left: IntArray
    right: IntArray
    feature: IntArray
    threshold: NDArray[np.float32]
    leaf: NDArray[np.bool_]
    weight: NDArray[np.float32]  # the positive class's weight at each leaf (0 elsewhere)

    def probability(self, features: FloatArray) -> FloatArray:
        """The positive class's probability of each row (onnxruntime's, exactly)."""
        return np.asarray(self.sums(features), dtype=np.float64)

    def sums(self, features: FloatArray) -> NDArray[np.float32]:
        """The summed leaf weights of each row, in float32 (the graph's output)."""
        rows = np.ascontiguousarray(features, dtype=np.float32)
        rows = np.where(np.isnan(rows), self.imputed, rows)
        node = np.broadcast_to(self.roots, (len(rows), len(self.roots)))
        index = np.arange(len(rows))[:, None]
        while not self.leaf[node].all():
            goes_true = rows[index, self.feature[node]] <= self.threshold[node]
            node = np.where(goes_true, self.left[node], self.right[node])
        summed = np.cumsum(self.weight[node], axis=1, dtype=np.float32)
        return np.asarray(summed[:, -1] if len(self.roots) else np.zeros(len(rows)),
                          dtype=np.float32)

    def to_arrays(self) -> dict[str, NDArray[Any]]:
        """The arrays by field name (for numpy.savez; no pickled objects)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_arrays(cls, arrays: Any) -> ForestArrays:
        """The forest from to_arrays' arrays (a mapping, e.g. a loaded .npz)."""
        return cls(*(np.asarray(arrays[f.name]) for f in fields(cls)))


def _attributes(node: Any) -> dict[str, Any]:
    """An ONNX node's attributes as numpy arrays (lists) or plain values."""
    found: dict[str, Any] = {}
    for attribute in node.attribute:
        if attribute.ints:
            found[attribute.name] = np.fromiter(attribute.ints, np.int64, len(attribute.ints))
        elif attribute.floats:
            found[attribute.name] = np.fromiter(attribute.floats, np.float32,
                                                len(attribute.floats))
        elif attribute.strings:
            found[attribute.name] = list(attribute.strings)
        else:
            found[attribute.name] = attribute.s or attribute.f or attribute.i
    return found


def forest_from_onnx(graph_bytes: bytes) -> ForestArrays:
    """The arrays of an Imputer → binary TreeEnsembleClassifier graph; ValueError for any
    other graph (a caller then keeps onnxruntime)."""
    import onnx  # noqa: PLC0415  (converting only)

    graph = onnx.load_model_from_string(graph_bytes).graph
    nodes = list(graph.node)
    if [n.op_type for n in nodes] == ["TreeEnsembleRegressor"]:
        return _regressor(graph, _attributes(nodes[0]))
    if [n.op_type for n in nodes] != ["Imputer", "TreeEnsembleClassifier"]:
        raise ValueError("not an imputer and a tree ensemble classifier")
    imputer, trees = _attributes(nodes[0]), _attributes(nodes[1])
    modes = trees["nodes_modes"]
    if (not np.isnan(imputer.get("replaced_value_float", 0.0))
            or set(modes) - {b"BRANCH_LEQ", b"LEAF"}
            or trees.get("post_transform", b"NONE") not in (b"NONE", "NONE")
            or len(trees["classlabels_int64s"]) != 2 or set(trees["class_ids"].tolist()) != {0}
            or "base_values" in trees
            or trees.get("nodes_missing_value_tracks_true", np.zeros(1)).any()):
        raise ValueError("a tree ensemble this walker does not reproduce exactly")
    return _flat(imputer["imputed_value_floats"], trees, np.array([m == b"LEAF" for m in modes]))


def _regressor(graph: Any, trees: dict[str, Any]) -> ForestArrays:
    """The arrays of one summing single-target TreeEnsembleRegressor (no imputer)."""
    modes = trees["nodes_modes"]
    width = graph.input[0].type.tensor_type.shape.dim[1].dim_value
    if (set(modes) - {b"BRANCH_LEQ", b"LEAF"} or not width
            or trees.get("aggregate_function", b"SUM") not in (b"SUM", "SUM")
            or trees.get("post_transform", b"NONE") not in (b"NONE", "NONE")
            or trees.get("n_targets", 1) != 1 or set(trees["target_ids"].tolist()) - {0}
            or "base_values" in trees
            or trees.get("nodes_missing_value_tracks_true", np.zeros(1)).any()):
        raise ValueError("a tree ensemble this walker does not reproduce exactly")
    renamed = {**trees, "class_treeids": trees["target_treeids"],
               "class_nodeids": trees["target_nodeids"], "class_weights": trees["target_weights"]}
    return _flat(np.full(width, np.nan, dtype=np.float32), renamed,
                 np.array([m == b"LEAF" for m in modes]))


def _flat(imputed: NDArray[np.float32], trees: dict[str, Any],
          leaf: NDArray[np.bool_]) -> ForestArrays:
    """Global node indices: nodes stored tree by tree, each tree's ids 0..n−1 in order."""
    tree_ids, node_ids = trees["nodes_treeids"], trees["nodes_nodeids"]
    count = int(tree_ids.max()) + 1 if len(tree_ids) else 0
    offsets = np.concatenate([[0], np.cumsum(np.bincount(tree_ids, minlength=count))])
    if not np.array_equal(node_ids, np.arange(len(node_ids)) - offsets[tree_ids]):
        raise ValueError("tree ensemble nodes are not stored tree by tree in id order")
    here = np.arange(len(node_ids))
    weighted = offsets[trees["class_treeids"]] + trees["class_nodeids"]
    if len(np.unique(weighted)) != len(weighted) or not leaf[weighted].all():
        raise ValueError("tree ensemble weights are not one per leaf")
    weight = np.zeros(len(node_ids), dtype=np.float32)
    weight[weighted] = trees["class_weights"]
    as_index = np.int32
    return ForestArrays(
        np.asarray(imputed, dtype=np.float32), offsets[:-1].astype(as_index),
        np.where(leaf, here, offsets[tree_ids] + trees["nodes_truenodeids"]).astype(as_index),
        np.where(leaf, here, offsets[tree_ids] + trees["nodes_falsenodeids"]).astype(as_index),
        trees["nodes_featureids"].astype(as_index),
        np.asarray(trees["nodes_values"], dtype=np.float32), leaf, weight)
