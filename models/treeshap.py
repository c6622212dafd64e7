"""Exact path-dependent TreeSHAP (Lundberg et al. 2018) of an XGBoost model, computed with
numpy from its JSON trees: what `booster.predict(..., pred_contribs=True)` gives (one column
per feature, then the bias), without importing XGBoost.

For one leaf, TreeSHAP's recursion (EXTEND / UNWIND along the path) computes the Shapley values
of the game f(S) = v · Π_{j∈S} o_j · Π_{j∉S} z_j over the leaf path's distinct features j: z_j is
the product of the cover fractions (child cover / parent cover) of the path's splits on j, o_j
is 1 when the row takes every one of those splits and 0 otherwise. Feature i gets
v · (o_i − z_i) · Σ_k c_k · k!(m−1−k)!/m!, with c_k the coefficient of t^k in
Π_{j≠i} (z_j + o_j·t). A tree's values are the sum over its leaves; the bias is the base margin
plus each tree's cover-weighted mean leaf value. Every leaf path is padded to the same number
of distinct features with null players (z = o = 1), which changes no Shapley value, so all
leaves of all trees are computed together as arrays: a handful of numpy operations per path
position, whatever the number of trees and rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.portable import (
    FloatArray,
    TreeArrays,
    base_margin,
    booster_from_text,
    booster_learner,
    trees_from_text,
)


@dataclass(frozen=True)
class ShapTrees:
    """Every root-to-leaf path of a model's trees as padded arrays (L leaves, K steps, D
    distinct features per path, F model features)."""

    n_features: int
    bias: float
    leaf_value: FloatArray  # (L,)
    step_feature: NDArray[np.intp]  # (L, K); padding steps are always taken
    step_threshold: NDArray[np.float32]  # (L, K)
    step_left: NDArray[np.bool_]  # (L, K): the path goes to the left child
    step_default_left: NDArray[np.bool_]  # (L, K): a missing value goes left
    step_valid: NDArray[np.bool_]  # (L, K)
    step_slot: NDArray[np.intp]  # (L, K): the distinct-feature slot of each step
    slot_zero: FloatArray  # (L, D): z, 1 for padding slots
    slot_order: NDArray[np.intp]  # the L·D slots ordered by their feature (padding: F, last)
    feature_starts: NDArray[np.intp]  # where each present feature's slots start in that order
    features_present: NDArray[np.intp]  # those features (F for the padding)

    def contributions(self, features: FloatArray) -> FloatArray:
        """TreeSHAP contributions to the margin of each row: F columns, then the bias."""
        rows = np.ascontiguousarray(features, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got {rows.shape}")
        totals = np.zeros((len(rows), self.n_features + 1), dtype=np.float64)
        leaves, slots = self.slot_zero.shape
        if leaves:  # summed per feature without BLAS (no thread pool for a few rows)
            phi = shapley_values(self._taken(rows), self.slot_zero) * self.leaf_value[:, None]
            flat = phi.reshape(len(rows), leaves * slots)[:, self.slot_order]
            totals[:, self.features_present] = np.add.reduceat(flat, self.feature_starts,
                                                               axis=1)
        totals[:, -1] = self.bias
        return totals

    def _taken(self, rows: NDArray[np.float32]) -> NDArray[np.float64]:
        """o: 1.0 where the row takes every split of the path on the slot's feature."""
        values = rows[:, self.step_feature]  # (R, L, K)
        missing = np.isnan(values)
        goes_left = np.where(missing, self.step_default_left, values < self.step_threshold)
        follows = (goes_left == self.step_left) | ~self.step_valid
        leaves, slots = self.slot_zero.shape
        taken = np.ones((len(rows), leaves, slots), dtype=np.bool_)
        every = np.arange(leaves)
        for step in range(self.step_slot.shape[1]):
            taken[:, every, self.step_slot[:, step]] &= follows[:, :, step]
        return taken.astype(np.float64)


def shapley_weights(players: int) -> FloatArray:
    """k!(m−1−k)!/m! for k = 0..m−1: the weight of a coalition of k others."""
    return np.array([math.factorial(k) * math.factorial(players - 1 - k)
                     / math.factorial(players) for k in range(players)], dtype=np.float64)


def shapley_values(taken: FloatArray, zero: FloatArray) -> FloatArray:
    """Per-slot Shapley values of the leaf games with value 1: (R, L, D) from o (R, L, D)
    and z (L, D)."""
    slots = zero.shape[1]
    weights = shapley_weights(slots)
    values = np.empty(taken.shape, dtype=np.float64)
    for i in range(slots):
        coefficients = [np.ones(taken.shape[:2])]  # of Π_{j≠i} (z_j + o_j t), lowest first
        for j in range(slots):
            if j == i:
                continue
            z, o = zero[None, :, j], taken[:, :, j]
            grown = [coefficients[0] * z]
            grown += [coefficients[k] * z + coefficients[k - 1] * o
                      for k in range(1, len(coefficients))]
            grown.append(coefficients[-1] * o)
            coefficients = grown
        total = sum(c * w for c, w in zip(coefficients, weights, strict=True))
        values[:, :, i] = (taken[:, :, i] - zero[None, :, i]) * total
    return values


def _node_arrays(trees: list[dict[str, Any]]) -> dict[str, NDArray[Any]]:
    """Every node of every tree in one set of arrays (children as global indices, −1 at
    leaves), with the cover fraction of each node (its cover / its parent's; 1 at roots)."""
    sizes = [len(tree["left_children"]) for tree in trees]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)

    def joined(key: str, dtype: Any) -> NDArray[Any]:
        """One field of every tree, end to end."""
        return np.concatenate([np.asarray(tree[key], dtype=dtype) for tree in trees]) \
            if trees else np.zeros(0, dtype=dtype)

    tree_of = np.repeat(np.arange(len(trees)), sizes)
    left, right = joined("left_children", np.intp), joined("right_children", np.intp)
    leaf = left == -1
    left = np.where(leaf, -1, left + offsets[tree_of])
    right = np.where(leaf, -1, right + offsets[tree_of])
    cover = joined("sum_hessian", np.float64)
    fraction = np.ones(len(left))
    inner = np.flatnonzero(~leaf)
    fraction[left[inner]] = cover[left[inner]] / cover[inner]
    fraction[right[inner]] = cover[right[inner]] / cover[inner]
    return {"left": left, "right": right, "leaf": leaf, "roots": offsets[:-1],
            "feature": joined("split_indices", np.intp),
            "threshold": joined("split_conditions", np.float32),
            "value": joined("split_conditions", np.float64),
            "default_left": joined("default_left", np.bool_), "fraction": fraction}


def _paths(nodes: dict[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
    """Each node's steps from its root, level by level: (nodes, depth) arrays of the split
    node of each step (−1 past the node's own depth) and whether the step goes left."""
    count = len(nodes["left"])
    level = nodes["roots"]
    steps = np.full((count, 0), -1, dtype=np.intp)
    lefts = np.zeros((count, 0), dtype=np.bool_)
    while len(level):
        inner = level[~nodes["leaf"][level]]
        if not len(inner):
            break
        steps = np.concatenate([steps, np.full((count, 1), -1, dtype=np.intp)], axis=1)
        lefts = np.concatenate([lefts, np.zeros((count, 1), dtype=np.bool_)], axis=1)
        for side, goes_left in (("left", True), ("right", False)):
            children = nodes[side][inner]
            steps[children] = steps[inner]
            lefts[children] = lefts[inner]
            steps[children, -1] = inner
            lefts[children, -1] = goes_left
        level = np.concatenate([nodes["left"][inner], nodes["right"][inner]])
    return {"steps": steps, "lefts": lefts}


def shap_trees_from_text(booster_text: str) -> ShapTrees:
    """The leaf paths of a single-output XGBoost JSON model with numeric splits."""
    learner = booster_learner(booster_text)
    trees = learner["gradient_booster"]["model"]["trees"]
    if str(learner["learner_model_param"].get("num_target", "1")) != "1" or any(
            any(tree.get("split_type", ())) for tree in trees):
        raise ValueError("only single-output boosters with numeric splits are explained here")
    nodes = _node_arrays(trees)
    paths = _paths(nodes)
    leaves = np.flatnonzero(nodes["leaf"])
    return _padded(nodes, paths["steps"][leaves], paths["lefts"][leaves], leaves,
                   int(learner["learner_model_param"]["num_feature"]), base_margin(learner))


def _padded(nodes: dict[str, NDArray[Any]], steps: NDArray[np.intp], lefts: NDArray[np.bool_],
            leaves: NDArray[np.intp], n_features: int, base: float) -> ShapTrees:
    """The leaves' paths as ShapTrees arrays: steps padded with −1 (always taken), distinct
    features numbered in order of first appearance on the path."""
    if steps.shape[1] == 0:
        steps, lefts = np.full((len(leaves), 1), -1, np.intp), np.zeros((len(leaves), 1), bool)
    valid = steps >= 0
    split = np.where(valid, steps, 0)
    feature = np.where(valid, nodes["feature"][split], -1)
    fraction = np.where(valid, nodes["fraction"][np.where(valid, _child(nodes, split, lefts),
                                                          0)], 1.0)
    same = (feature[:, :, None] == feature[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    first = np.argmax(same, axis=2)  # the first step on the same feature (itself if new)
    is_first = (first == np.arange(feature.shape[1])) & valid
    slot_of_first = np.cumsum(is_first, axis=1) - 1
    slot = np.where(valid, np.take_along_axis(slot_of_first, first, axis=1), 0)
    slots = max(int(is_first.sum(axis=1).max(initial=0)), 1)
    zero = np.ones((len(leaves), slots))
    slot_feature = np.full((len(leaves), slots), n_features, dtype=np.intp)
    rows = np.arange(len(leaves))
    for k in range(feature.shape[1]):
        np.multiply.at(zero, (rows, slot[:, k]), np.where(valid[:, k], fraction[:, k], 1.0))
        firsts = rows[is_first[:, k]]
        slot_feature[firsts, slot[firsts, k]] = feature[firsts, k]
    order = np.argsort(slot_feature.ravel(), kind="stable")
    present, starts = np.unique(slot_feature.ravel()[order], return_index=True)
    value = nodes["value"][leaves]
    bias = base + float(np.sum(value * np.prod(fraction, axis=1)))
    return ShapTrees(n_features, bias, value, np.where(valid, feature, 0),
                     np.where(valid, nodes["threshold"][split], 0).astype(np.float32), lefts,
                     nodes["default_left"][split] & valid, valid, slot, zero, order,
                     starts.astype(np.intp), present.astype(np.intp))


def _child(nodes: dict[str, NDArray[Any]], split: NDArray[np.intp],
           lefts: NDArray[np.bool_]) -> NDArray[np.intp]:
    """The node each step leads to."""
    return np.where(lefts, nodes["left"][split], nodes["right"][split])


class BoosterViews:
    """One XGBoost model's JSON text seen three ways, each built once on first use: the
    library's booster, numpy tree arrays for scoring, and leaf paths for TreeSHAP."""

    @property
    def model_text(self) -> str:
        """The model's XGBoost JSON text (the class that mixes this in says where it is)."""
        raise NotImplementedError

    @cached_property
    def booster(self) -> Any:
        """The XGBoost booster (loaded only when asked for: scoring and explaining do without)."""
        return booster_from_text(self.model_text)

    @cached_property
    def trees(self) -> TreeArrays:
        """The trees as arrays, walked with numpy (no per-call library overhead)."""
        return trees_from_text(self.model_text)

    @cached_property
    def shap(self) -> ShapTrees:
        """The leaf paths for TreeSHAP with numpy."""
        return shap_trees_from_text(self.model_text)
