"""Plain-language factors and recommendations from a model's own per-prediction contributions.

A contribution is a feature's share of the prediction in log-odds (models/risk_model.py). The
factors are the features with the largest shares, each said with its value, what is typical in
this repository (the training median), and how far it moved the probability; the
recommendations are those of the factors that raise the risk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

PHRASES: dict[str, str] = {
    "la": "lines added", "ld": "lines deleted", "lt": "lines in the touched files",
    "nf": "files changed", "nd": "directories changed", "ns": "subsystems changed",
    "entropy": "spread of the change across files (entropy)",
    "ndev": "developers who changed these files before", "age": "days since these files last "
    "changed", "nuc": "earlier changes to these files", "exp": "author's earlier changes",
    "rexp": "author's recent changes", "sexp": "author's changes in these subsystems",
    "fix": "bug-fix change", "rel_la": "lines added per line of existing code",
    "rel_ld": "lines deleted per line of existing code", "lt_per_file": "mean size of the "
    "touched files (lines)", "nrename": "files renamed", "nadded": "files created",
    "ndeleted": "files deleted", "nsource": "source files changed", "ntest": "test files "
    "changed", "nconfig": "build or configuration files changed", "ndoc": "documentation "
    "files changed", "nlang": "languages touched", "hour": "hour of the commit",
    "msg_len": "length of the commit message", "aexp": "author's earlier changes to this file",
}
SIZE = "Split the change: smaller pull requests are reviewed more thoroughly and break less."
RECOMMENDATIONS: dict[str, str] = {
    "la": SIZE, "ld": SIZE, "nf": SIZE, "nd": SIZE, "ns": SIZE, "entropy": SIZE,
    "rel_la": SIZE, "rel_ld": SIZE, "nadded": SIZE,
    "exp": "Ask a maintainer who knows these files to review: the author has little history "
           "here.",
    "rexp": "Ask a maintainer who knows these files to review: the author has little history "
            "here.",
    "sexp": "Ask a reviewer from the touched subsystems.",
    "aexp": "Ask a reviewer who owns this file.",
    "ndev": "Many people changed these files: ask their most recent authors to review.",
    "nuc": "These files change often: add tests around the modified code.",
    "age": "These files change often: add tests around the modified code.",
    "lt": "The touched files are large: review the modified functions closely and add tests.",
    "lt_per_file": "The touched files are large: review the modified functions closely and "
                   "add tests.",
    "fix": "Bug fixes often bring new bugs: add a regression test for the fixed case.",
    "ntest": "Add or update tests with this change.",
    "nconfig": "Build and configuration changes break easily: run the full CI matrix.",
}
PHRASES.update({
    "prior_changes": "earlier changes to this file", "changes_30d": "changes to this file in "
    "the last 30 days", "changes_90d": "changes to this file in the last 90 days",
    "prior_fixes": "bug fixes to this file so far", "fixes_90d": "bug fixes to this file in the "
    "last 90 days", "days_since_fix": "days since this file's last bug fix",
    "authors_90d": "people who changed this file in the last 90 days",
    "churn_now": "lines this change touches in the file", "reach_all": "files that import the "
    "changed files, directly or not", "reach_depth1": "files that import the changed files "
    "directly", "components_reached": "components the change reaches",
    "coupled_files": "files that usually change together with these", "affected_tests": "tests "
    "that reach the changed files", "blast_files": "files in the blast radius",
    "past_impact": "follow-up changes after earlier changes to these files"})
RECOMMENDATIONS.update({
    "fixes_90d": "This file needed fixes recently: add a regression test with the change.",
    "prior_fixes": "This file has needed many fixes: add tests for the changed behaviour.",
    "changes_90d": "This file is changing fast: ask its recent authors to review.",
    "changes_30d": "This file is changing fast: ask its recent authors to review.",
    "authors_90d": "Many people are changing this file: ask its recent authors to review.",
    "churn_now": SIZE,
    "reach_all": "Many files depend on this change: run their tests and tell their owners.",
    "reach_depth1": "Many files import the changed code: run their tests and tell their owners.",
    "components_reached": "The change reaches several components: ask their owners to review.",
    "coupled_files": "Files that usually change together with these are not in the change: "
                     "check whether they need updating.",
    "past_impact": "Earlier changes here needed follow-up work: plan for it.",
})
# The advice of these features is about a value that is low (an author new here, files changed
# lately, no tests); every other advice is about a value that is high. Advice is given only when
# the value is on its side of the repository's typical value: eight test files raising an
# anomaly score do not mean "add tests".
LOW_VALUE_ADVICE = frozenset({"exp", "rexp", "sexp", "aexp", "age", "ntest"})
TOP_FACTORS = 3


@dataclass(frozen=True)
class Factor:
    """One reason for a prediction, in words and numbers."""

    feature: str
    value: float
    typical: float
    contribution: float
    sentence: str


@dataclass(frozen=True)
class Explanation:
    """The top factors of one prediction and what to do about them."""

    probability: float
    factors: tuple[Factor, ...]
    recommendations: tuple[str, ...]


def number(value: float) -> str:
    """A value as people write it: thousands separated, at most two decimals, no trailing zero."""
    if float(value).is_integer():
        return f"{int(value):,}"
    shown = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


def sigmoid(value: float) -> float:
    """The logistic function."""
    return float(1 / (1 + np.exp(-value)))


def factor_sentence(name: str, value: float, typical: float, before: float,
                    after: float) -> str:
    """'lines added is 1,240 (typical here: 18): raises the risk from 0.21 to 0.46'."""
    phrase = PHRASES.get(name, name)
    verb = "raises" if after > before else "lowers"
    return (f"{phrase[0].upper()}{phrase[1:]} is {number(value)} (typical here: "
            f"{number(typical)}): {verb} the risk from {before:.2f} to {after:.2f}")


def explain(names: Sequence[str], values: Sequence[float], contributions: Sequence[float],
            typical: Sequence[float], limit: int = TOP_FACTORS,
            probability: Callable[[float], float] = sigmoid) -> Explanation:
    """The factors with the largest log-odds shares of one prediction (contributions: one per
    name, then the base value) and the recommendations of those that raise it; `probability`
    maps log-odds to the reported (calibrated) probability."""
    shares = np.asarray(contributions[:len(names)], dtype=np.float64)
    total = float(np.sum(contributions))
    order = [i for i in np.argsort(-np.abs(shares), kind="stable") if shares[i] != 0][:limit]
    factors = tuple(
        Factor(names[i], float(values[i]), float(typical[i]), float(shares[i]),
               factor_sentence(names[i], float(values[i]), float(typical[i]),
                               probability(total - shares[i]), probability(total)))
        for i in order)
    return Explanation(probability(total), factors, recommendations(factors))


def recommendations(factors: Sequence[Factor],
                    table: Mapping[str, str] = RECOMMENDATIONS) -> tuple[str, ...]:
    """What to do about the factors that raise the risk, each advice once, strongest first."""
    advice: list[str] = []
    for factor in factors:
        text = table.get(factor.feature)
        if text and text not in advice and advice_applies(factor):
            advice.append(text)
    return tuple(advice)


def advice_applies(factor: Factor) -> bool:
    """Whether a factor raises the score from the side its advice is about: low for
    LOW_VALUE_ADVICE, high for the rest (either, when nothing is typical)."""
    if factor.contribution <= 0:
        return False
    if np.isnan(factor.typical):
        return True
    if factor.feature in LOW_VALUE_ADVICE:
        return factor.value <= factor.typical
    return factor.value >= factor.typical


def share_sentence(name: str, value: float, typical: float | None, share: float,
                   what: str) -> str:
    """'Bug fixes to this file in the last 90 days is 3 (typical here: 0): raises the bug
    score (+0.42)' — for scores whose contributions are not log-odds of the shown value."""
    phrase = PHRASES.get(name, name.replace("_", " "))
    usual = "" if typical is None or np.isnan(typical) else f" (typical here: {number(typical)})"
    verb = "raises" if share > 0 else "lowers"
    return f"{phrase[0].upper()}{phrase[1:]} is {number(value)}{usual}: {verb} the {what} " \
           f"({share:+.2f})"


def explain_shares(names: Sequence[str], values: Sequence[float], shares: Sequence[float],
                   what: str, score: float, typical: Sequence[float] | None = None,
                   limit: int = TOP_FACTORS) -> Explanation:
    """The factors of any score from its per-feature shares (TreeSHAP margins, occlusion
    deltas, meta-learner terms), in words, and the recommendations of those that raise it."""
    array = np.asarray(shares, dtype=np.float64)
    order = [i for i in np.argsort(-np.abs(array), kind="stable") if array[i] != 0][:limit]
    factors = tuple(
        Factor(names[i], float(values[i]), np.nan if typical is None else float(typical[i]),
               float(array[i]), share_sentence(names[i], float(values[i]),
                                               None if typical is None else float(typical[i]),
                                               float(array[i]), what))
        for i in order)
    return Explanation(score, factors, recommendations(factors))
