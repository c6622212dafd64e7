"""Logical coupling and knowledge on hand-written histories with known answers."""

from __future__ import annotations

import pytest

from analyzers.changes import ChangeRecord, FileIdentities, FileTouch, identify
from analyzers.coupling import Coupling, coupled_files
from analyzers.knowledge import bus_factor, file_experts, is_bot, suggest_reviewers

DAY = 86_400


def change(time: int, author: str, *paths: str, status: str = "M",
           renames: dict[str, str] | None = None) -> ChangeRecord:
    touches = [FileTouch(p, None, status, 1) for p in paths]
    touches += [FileTouch(new, old, "R", 0) for old, new in (renames or {}).items()]
    return ChangeRecord(f"c{time}", time * DAY, author, tuple(touches))


HISTORY = [
    change(1, "ann", "a.py", "b.py", "c.py", status="A"),
    change(2, "ann", "a.py", "b.py"),
    change(3, "bob", "a.py", "b.py"),
    change(4, "bob", "a.py", "c.py"),
    change(5, "cid", "a.py"),
    change(6, "cid", "b.py"),
]


def test_support_and_confidence_by_hand() -> None:
    rules = coupled_files(identify(HISTORY), ["a.py", "c.py"], min_support=1)
    assert rules["a.py"] == [Coupling("b.py", 3, 3 / 5), Coupling("c.py", 2, 2 / 5)]
    assert rules["c.py"] == [Coupling("a.py", 2, 1.0), Coupling("b.py", 1, 0.5)]


def test_thresholds_and_unknown_targets() -> None:
    rules = coupled_files(identify(HISTORY), ["a.py", "nowhere.py"], min_support=3)
    assert rules == {"a.py": [Coupling("b.py", 3, 0.6)], "nowhere.py": []}
    assert coupled_files(identify(HISTORY), ["a.py"], min_confidence=0.5)["a.py"] == [
        Coupling("b.py", 3, 0.6)]


def test_large_transactions_count_as_changes_but_not_as_coupling() -> None:
    big = change(7, "dan", "a.py", *(f"gen/{i}.py" for i in range(40)))
    rules = coupled_files(identify([*HISTORY, big]), ["a.py"], min_support=1)
    assert rules["a.py"] == [Coupling("b.py", 3, 3 / 6), Coupling("c.py", 2, 2 / 6)]


def test_coupling_follows_renames_and_forgets_deleted_files() -> None:
    history = [*HISTORY,
               change(7, "ann", "a.py", renames={"b.py": "lib/b.py"}),
               change(8, "ann", "c.py", status="D")]
    rules = coupled_files(identify(history), ["lib/b.py", "a.py"], min_support=1)
    assert rules["lib/b.py"][0] == Coupling("a.py", 4, 4 / 5)
    assert [c.path for c in rules["a.py"]] == ["lib/b.py"]


def test_a_path_added_again_after_deletion_is_a_new_file() -> None:
    identities = FileIdentities()
    first = identities.touch(FileTouch("x.py", None, "A", 1))
    identities.touch(FileTouch("x.py", None, "D", 1))
    again = identities.touch(FileTouch("x.py", None, "A", 1))
    assert first != again and identities.current("x.py") == again


def test_experts_are_weighted_by_recency() -> None:
    now = 6 * DAY + 180 * DAY
    experts = file_experts(identify(HISTORY), ["a.py"], now=now)["a.py"]
    assert [e.author for e in experts] == ["bob", "ann", "cid"]  # 0.990, 0.983, 0.498
    weights = {e.author: e.weight for e in experts}
    assert weights["cid"] == pytest.approx(0.5 ** ((now - 5 * DAY) / DAY / 180))
    assert weights["ann"] == pytest.approx(sum(0.5 ** ((now - d * DAY) / DAY / 180)
                                               for d in (1, 2)))
    assert sum(e.share for e in experts) == pytest.approx(1.0)


def test_bus_factor_and_reviewers() -> None:
    history = [change(1, "ann", "a.py", "b.py", status="A"), change(2, "ann", "a.py"),
               change(3, "bob", "c.py", status="A"), change(4, "cid", "d.py", status="A"),
               change(5, "cid", "c.py")]
    experts = file_experts(identify(history), ["a.py", "b.py", "c.py", "d.py"], now=5 * DAY)
    assert bus_factor(experts) == 2  # without ann, a and b are orphaned: half, not more
    reviewers = suggest_reviewers(experts, author="cid")
    assert [r.author for r in reviewers] == ["ann", "bob"]
    assert reviewers[0].files == ("a.py", "b.py") and reviewers[0].score == pytest.approx(2.0)
    assert all(r.author != "cid" for r in reviewers)
    assert bus_factor(file_experts(identify([]), ["x.py"], now=0)) == 0


@pytest.mark.parametrize(("author", "bot"), [
    ("49699333+dependabot[bot]@users.noreply.github.com", True),
    ("renovate-bot@example.com", True), ("pre-commit-ci@example.com", True),
    ("bot@example.com", True), ("abbott@example.com", False), ("robotics@example.com", False),
    ("ann@example.com", False)])
def test_bots_are_recognised(author: str, bot: bool) -> None:
    assert is_bot(author) is bot


def test_bots_are_never_suggested() -> None:
    history = [change(1, "dependabot[bot]", "a.py", status="A"), change(2, "ann", "a.py")]
    experts = file_experts(identify(history), ["a.py"], now=2 * DAY)
    assert [r.author for r in suggest_reviewers(experts, author="bob")] == ["ann"]
