"""Recommendations follow the side of the typical value a factor is on, not only its sign."""

from __future__ import annotations

import math

from models.explain import Factor, explain_shares, number, recommendations


def factor(feature: str, value: float, typical: float, contribution: float) -> Factor:
    return Factor(feature, value, typical, contribution, "")


def test_many_test_files_raising_a_score_do_not_ask_for_tests() -> None:
    assert recommendations([factor("ntest", 8, 0, 0.03)]) == ()
    assert recommendations([factor("ntest", 0, 1, 0.4)]) == (
        "Add or update tests with this change.",)


def test_an_experienced_author_is_not_called_new_here() -> None:
    assert recommendations([factor("exp", 900, 40, 0.2)]) == ()
    assert recommendations([factor("exp", 3, 40, 0.2)])[0].startswith("Ask a maintainer")


def test_a_large_change_is_split_only_when_it_is_large() -> None:
    assert recommendations([factor("la", 992, 7, 1.1)])[0].startswith("Split the change")
    assert recommendations([factor("la", 2, 7, 0.1)]) == ()
    assert recommendations([factor("la", 992, 7, -0.3)]) == ()


def test_without_a_typical_value_the_sign_decides() -> None:
    assert math.isnan(factor("prior_fixes", 112, math.nan, 0.4).typical)
    advice = explain_shares(["prior_fixes", "ntest"], [112, 3], [0.42, 0.1], "bug score", 0.3)
    assert advice.recommendations == (
        "This file has needed many fixes: add tests for the changed behaviour.",
        "Add or update tests with this change.")


def test_numbers_are_written_as_people_write_them() -> None:
    shown = [number(v) for v in (1536.0, 269.5, 275.819, 0.5, 1234.5, -0.001, 0.004, 12.0)]
    assert shown == ["1,536", "269.5", "275.82", "0.5", "1,234.5", "0", "0", "12"]
