"""How unusual a change is for its repository: an isolation forest on the repository's own past.

Inputs are change features in catalogue units (analyzers/catalogue.py). Before the forest sees
them, sizes and counts become log1p(max(x, 0)), `hour` and `weekday` become a point on a circle
(sin, cos), `entropy` and `fix` stay as they are.

The score of a change is 2·s − 1 with s = 2^(−E[h]/c(ψ)) the isolation score of Liu et al.
(E[h] the mean path length over the trees, c(ψ) the mean path length of an unsuccessful search
in a tree of ψ samples): −1 is deep in the crowd, 0 is the usual "s = 0.5" boundary
(scikit-learn's decision_function = 0 with contamination "auto"), 1 is isolated at once. It
equals −2 × scikit-learn's decision_function. The percentile places a score among the
history's own scores (100 = more unusual than every past change).

The forest travels as one ONNX TreeEnsembleRegressor node whose leaves hold each tree's path
length / number of trees, so the graph's sum is E[h]. (skl2onnx's own IsolationForest graph has
about 18 nodes per tree and costs milliseconds per row; this is the same function in one node.)
Thresholds are rounded down to float32, so `x <= t` decides exactly as scikit-learn does on
float32 input.

Two derived columns join them: log1p(la + ld) and log1p((la + ld) / max(nf, 1)), so that a
change far larger than its file count suggests stands out.

Contributions (`AnomalyModel.contributions`): for each input feature, the score minus the score
of the same change with that one feature set to the history's median (derived columns follow).
Positive means that feature's value alone makes the change more unusual; they are one-at-a-time
effects and need not sum to the score. A feature that never varied in the history moves
nothing (no tree splits on it), and a value beyond the history's range scores like the history's
most extreme one: isolation forests do not extrapolate, which the rules (anomaly_rules) cover.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.anomaly_rules import AnomalyBaseline
from models.forest_arrays import ForestArrays
from models.portable import OnnxScorer

FloatArray = NDArray[np.float64]
FORMAT = "diffrisk-anomaly/1"
N_TREES = 100
MAX_SAMPLES = 256
N_QUANTILES = 1001
RAW = frozenset({"entropy", "fix"})
CYCLES = {"hour": 24.0, "weekday": 7.0}
# The change-shape features the forest reads by default. Experience, age and history counts
# (exp, rexp, sexp, ndev, nuc, age) grow with the repository's age and would make every recent
# change look unusual, so they are left out.
DEFAULT_FEATURES: tuple[str, ...] = (
    "ns", "nd", "nf", "entropy", "la", "ld", "lt", "nrename", "nadded", "ndeleted", "nbinary",
    "nsource", "ntest", "ndoc", "nconfig", "nlang", "hour", "msg_len")


def transformed_width(name: str) -> int:
    """How many forest columns one input feature becomes (2 for cyclic ones, else 1)."""
    return 2 if name in CYCLES else 1


IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class ColumnLayout:
    """Where each kind of input feature goes among the forest's columns (index arrays)."""

    width: int
    log_from: IntArray
    log_to: IntArray
    raw_from: IntArray
    raw_to: IntArray
    cyclic_from: IntArray
    cyclic_to: IntArray
    periods: FloatArray
    churn_from: IntArray
    files_from: int


@lru_cache(maxsize=32)
def column_layout(names: tuple[str, ...]) -> ColumnLayout:
    """The forest's column layout for these input features, in their order."""
    slots: dict[str, tuple[list[int], list[int]]] = {
        "log": ([], []), "raw": ([], []), "cyclic": ([], [])}
    start = 0
    for index, name in enumerate(names):
        kind = "cyclic" if name in CYCLES else "raw" if name in RAW else "log"
        slots[kind][0].append(index)
        slots[kind][1].append(start)
        start += transformed_width(name)
    churn = [names.index(n) for n in ("la", "ld") if n in names]
    files = names.index("nf") if "nf" in names and churn else -1

    def indices(kind: str, side: int) -> IntArray:
        return np.asarray(slots[kind][side], dtype=np.intp)

    return ColumnLayout(start + (1 if churn else 0) + (1 if files >= 0 else 0),
                        indices("log", 0), indices("log", 1), indices("raw", 0),
                        indices("raw", 1), indices("cyclic", 0), indices("cyclic", 1),
                        np.asarray([CYCLES[names[i]] for i in slots["cyclic"][0]], dtype=float),
                        np.asarray(churn, dtype=np.intp), files)


def transform_features(features: FloatArray, names: Sequence[str]) -> FloatArray:
    """Rows of catalogue-unit features as the forest's columns (log1p sizes, cyclic hours;
    NaN and infinities count 0)."""
    rows = np.array(features, dtype=np.float64, ndmin=2)
    if rows.shape[1] != len(names):
        raise ValueError(f"{rows.shape[1]} feature columns for {len(names)} names")
    rows[~np.isfinite(rows)] = 0.0
    layout = column_layout(tuple(names))
    columns = np.empty((rows.shape[0], layout.width), dtype=np.float64)
    columns[:, layout.log_to] = np.log1p(np.maximum(rows[:, layout.log_from], 0.0))
    columns[:, layout.raw_to] = rows[:, layout.raw_from]
    angles = (2.0 * np.pi) * rows[:, layout.cyclic_from] / layout.periods
    columns[:, layout.cyclic_to] = np.sin(angles)
    columns[:, layout.cyclic_to + 1] = np.cos(angles)
    if len(layout.churn_from):
        churn = np.maximum(rows[:, layout.churn_from].sum(axis=1), 0.0)
        columns[:, -1 if layout.files_from < 0 else -2] = np.log1p(churn)
        if layout.files_from >= 0:
            columns[:, -1] = np.log1p(churn / np.maximum(rows[:, layout.files_from], 1.0))
    return columns


def average_path_length(n: float) -> float:
    """c(n): the mean path length of an unsuccessful search in a binary search tree of n."""
    if n <= 1:
        return 0.0
    if n == 2:
        return 1.0
    return 2.0 * (math.log(n - 1.0) + np.euler_gamma) - 2.0 * (n - 1.0) / n


def scores_from_path_lengths(mean_path: NDArray[Any], max_samples: int) -> FloatArray:
    """Scores in −1..1 (2·2^(−E[h]/c(ψ)) − 1) from mean path lengths."""
    denominator = average_path_length(max_samples)
    isolation = np.power(2.0, -np.asarray(mean_path, dtype=np.float64) / denominator)
    return 2.0 * isolation - 1.0


def percentile_of(score: float, quantiles: FloatArray) -> float:
    """Share (0–100) of the history's scores at or below this score."""
    position = int(np.searchsorted(quantiles, score, side="right"))
    return 100.0 * position / len(quantiles)


@dataclass(frozen=True)
class AnomalyModel:
    """A fitted isolation forest as ONNX text, the history's score quantiles and
    per-feature medians (catalogue units)."""

    feature_names: tuple[str, ...]
    onnx_text: str
    max_samples: int
    quantiles: tuple[float, ...]
    medians: tuple[float, ...]
    baseline: AnomalyBaseline | None = None
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _session(self) -> OnnxScorer:
        if "scorer" not in self._loaded:
            self._loaded["scorer"] = OnnxScorer(self.onnx_text)
        scorer: OnnxScorer = self._loaded["scorer"]
        return scorer

    def _quantiles(self) -> FloatArray:
        if "quantiles" not in self._loaded:
            self._loaded["quantiles"] = np.asarray(self.quantiles, dtype=np.float64)
        quantiles: FloatArray = self._loaded["quantiles"]
        return quantiles

    def use_arrays(self, arrays: ForestArrays) -> None:
        """Walk the forest as numpy arrays (forest_from_onnx of onnx_text, kept by the caller)
        instead of an onnxruntime session: the same path lengths, bit for bit."""
        self._loaded["forest"] = arrays

    def _scores_of_columns(self, columns: FloatArray) -> FloatArray:
        forest: ForestArrays | None = self._loaded.get("forest")
        mean_path = (forest.sums(columns) if forest is not None
                     else self._session().outputs(columns)[0].ravel())
        return scores_from_path_lengths(mean_path, self.max_samples)

    def scores(self, features: FloatArray) -> FloatArray:
        """Scores in −1..1 (1 = most unusual) of rows of catalogue-unit features."""
        return self._scores_of_columns(transform_features(features, self.feature_names))

    def score(self, features: FloatArray) -> tuple[float, float]:
        """One change's score in −1..1 and its percentile (0–100) against the history."""
        value = float(self.scores(np.asarray(features, dtype=np.float64).reshape(1, -1))[0])
        return value, percentile_of(value, self._quantiles())

    def threshold(self, top_percent: float) -> float:
        """The history's score above which the top `top_percent` % of its changes lie."""
        return float(np.quantile(self._quantiles(), 1.0 - top_percent / 100.0))

    def contributions(self, features: FloatArray) -> dict[str, float]:
        """Per feature: the score minus the score with that feature set to the history's
        median (positive = this value makes the change more unusual)."""
        row = np.asarray(features, dtype=np.float64).reshape(1, -1)
        variants = np.repeat(row, len(self.feature_names) + 1, axis=0)
        for index, median in enumerate(self.medians):
            variants[index + 1, index] = median
        scores = self.scores(variants)
        return {name: float(scores[0] - scores[index + 1])
                for index, name in enumerate(self.feature_names)}

    def to_json(self) -> str:
        """The model as JSON text (ONNX as base64, numbers as lists)."""
        return json.dumps({
            "format": FORMAT, "feature_names": list(self.feature_names),
            "onnx": self.onnx_text, "max_samples": self.max_samples,
            "quantiles": list(self.quantiles), "medians": list(self.medians),
            "baseline": None if self.baseline is None else self.baseline.to_dict()})

    @classmethod
    def from_json(cls, text: str) -> AnomalyModel:
        """A model read back from `to_json` text."""
        data: dict[str, Any] = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"not an anomaly model of format {FORMAT}")
        baseline = data.get("baseline")
        return cls(tuple(data["feature_names"]), str(data["onnx"]), int(data["max_samples"]),
                   tuple(float(v) for v in data["quantiles"]),
                   tuple(float(v) for v in data["medians"]),
                   None if baseline is None else AnomalyBaseline.from_dict(baseline))


def float32_at_most(threshold: float) -> float:
    """The largest float32 not above the threshold (so float32 `x <= t` is decided exactly)."""
    rounded = np.float32(threshold)
    if float(rounded) > threshold:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return float(rounded)


def node_depths(left: NDArray[np.intp], right: NDArray[np.intp]) -> FloatArray:
    """Edges from the root to each node of a tree given by its children arrays (−1: none)."""
    depths = np.zeros(len(left), dtype=np.float64)
    for node in range(len(left)):  # children always come after their parent
        for child in (left[node], right[node]):
            if child >= 0:
                depths[child] = depths[node] + 1.0
    return depths


def leaf_path_lengths(forest: Any, tree_index: int) -> FloatArray:
    """Per node of one tree: the path length a row ending there gets (depth + c(node size)),
    from the public tree structure."""
    tree = forest.estimators_[tree_index].tree_
    sizes = [average_path_length(float(n)) for n in tree.n_node_samples]
    return np.asarray(node_depths(tree.children_left, tree.children_right) + np.array(sizes),
                      dtype=np.float64)


def forest_to_onnx(forest: Any, n_columns: int) -> Any:
    """One TreeEnsembleRegressor node summing path length / number of trees (= E[h])."""
    from onnx import TensorProto, helper  # noqa: PLC0415  (needed only when fitting)

    nodes: dict[str, list[Any]] = {key: [] for key in (
        "treeids", "nodeids", "featureids", "values", "modes", "truenodeids", "falsenodeids")}
    targets: dict[str, list[Any]] = {"treeids": [], "nodeids": [], "weights": []}
    n_trees = len(forest.estimators_)
    for tree_index, estimator in enumerate(forest.estimators_):
        tree = estimator.tree_
        lengths = leaf_path_lengths(forest, tree_index)
        for node in range(tree.node_count):
            leaf = tree.children_left[node] == -1
            nodes["treeids"].append(tree_index)
            nodes["nodeids"].append(node)
            nodes["featureids"].append(0 if leaf else int(tree.feature[node]))
            nodes["values"].append(0.0 if leaf else float32_at_most(tree.threshold[node]))
            nodes["modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            nodes["truenodeids"].append(0 if leaf else int(tree.children_left[node]))
            nodes["falsenodeids"].append(0 if leaf else int(tree.children_right[node]))
            if leaf:
                targets["treeids"].append(tree_index)
                targets["nodeids"].append(node)
                targets["weights"].append(float(lengths[node]) / n_trees)
    attributes: dict[str, Any] = {f"nodes_{key}": value for key, value in nodes.items()}
    attributes.update({f"target_{key}": value for key, value in targets.items()})
    ensemble = helper.make_node(
        "TreeEnsembleRegressor", ["X"], ["path_length"], domain="ai.onnx.ml", n_targets=1,
        aggregate_function="SUM", post_transform="NONE",
        target_ids=[0] * len(targets["nodeids"]), **attributes)
    graph = helper.make_graph(
        [ensemble], "isolation_forest",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, n_columns])],
        [helper.make_tensor_value_info("path_length", TensorProto.FLOAT, [None, 1])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                   helper.make_opsetid("ai.onnx.ml", 3)])


def fit_forest(columns: FloatArray, seed: int, n_trees: int = N_TREES) -> Any:
    """scikit-learn's IsolationForest on transformed columns (all features in every tree)."""
    from sklearn.ensemble import IsolationForest  # noqa: PLC0415

    forest = IsolationForest(n_estimators=n_trees, max_samples=min(MAX_SAMPLES, len(columns)),
                             max_features=1.0, contamination="auto", random_state=seed,
                             n_jobs=1)
    return forest.fit(columns.astype(np.float32))


def fit_anomaly_model(history_features: FloatArray, names: Sequence[str], seed: int,
                      baseline: AnomalyBaseline | None = None,
                      n_trees: int = N_TREES) -> AnomalyModel:
    """An isolation forest on the repository's past changes (rows in catalogue units)."""
    from models.portable import onnx_to_text  # noqa: PLC0415

    names = tuple(names)
    columns = transform_features(history_features, names)
    if len(columns) < 2:
        raise ValueError("an anomaly model needs at least two past changes")
    forest = fit_forest(columns, seed, n_trees)
    model = AnomalyModel(names, onnx_to_text(forest_to_onnx(forest, columns.shape[1])),
                         int(forest.max_samples_), (),
                         tuple(float(v) for v in np.nanmedian(np.atleast_2d(
                             np.asarray(history_features, dtype=np.float64)), axis=0)),
                         baseline)
    history = model._scores_of_columns(columns)
    quantiles = np.quantile(history, np.linspace(0.0, 1.0, min(N_QUANTILES, len(history))))
    return AnomalyModel(names, model.onnx_text, model.max_samples,
                        tuple(float(v) for v in quantiles), model.medians, baseline)
