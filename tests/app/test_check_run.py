"""Check-run annotations, title and review comments rendered from a hand-built result."""

from __future__ import annotations

import dataclasses
from typing import Any

from app.reports import check_run
from app.reports.check_run import (
    MESSAGE_BYTES,
    ReviewComment,
    check_run_title,
    fingerprint,
    fingerprint_of,
    plan_review,
    review_comments,
)
from app.reports.result import LineRange, Score
from tests.fakegithub_spec import Spec, pointer
from tests.report_samples import file_result, sample_result

ANNOTATION_SCHEMA = pointer("paths", "/repos/{owner}/{repo}/check-runs/{check_run_id}", "patch",
                            "requestBody", "content", "application/json", "schema") + (
    "/properties/output/properties/annotations/items")


def test_annotations_are_valid_sorted_and_anchored_on_changed_lines() -> None:
    result = sample_result(files=6)
    found = check_run.annotations(result)
    spec = Spec()
    assert all(spec.errors(ANNOTATION_SCHEMA, a) == [] for a in found)
    levels = [a["annotation_level"] for a in found]
    assert levels == sorted(levels, key=["failure", "warning", "notice"].index)
    files = [a["path"] for a in found if a["title"].startswith("diffrisk: risk")]
    assert files == [f"src/pkg/module_{n}.py" for n in range(6)]  # riskiest first
    assert {(a["start_line"], a["end_line"]) for a in found} == {(3, 9)}
    assert "assets/logo.png" not in {a["path"] for a in found}  # skipped: no annotation
    assert any(a["title"] == "diffrisk anomaly: large_commit" for a in found)


def test_annotations_are_capped_keeping_the_most_severe() -> None:
    result = sample_result(files=9)
    assert len(check_run.annotations(result)) == 10  # 9 files + the finding that names a path
    capped = check_run.annotations(result, cap=4)
    assert len(capped) == 4 and {a["annotation_level"] for a in capped} == {"failure"}
    assert check_run.annotations(result, cap=0) == []


def test_long_messages_fit_githubs_limit() -> None:
    long = dataclasses.replace(file_result(0), risk=Score(0.9, "high", ("é" * 70_000,)))
    result = dataclasses.replace(sample_result(files=0), files=(long,), anomalies=())
    (only,) = check_run.annotations(result)
    assert len(only["message"].encode()) <= MESSAGE_BYTES
    assert only["annotation_level"] == "failure"


def test_title_is_one_short_line() -> None:
    title = check_run_title(sample_result())
    assert title.startswith("failure: health 3.1/10, risk 0.74 (high)")
    assert "\n" not in title and len(title) <= 255


def test_review_comments_pick_the_riskiest_files_with_stable_fingerprints() -> None:
    result = sample_result(files=5)
    comments = review_comments(result, budget=2)
    assert [c.path for c in comments] == ["src/pkg/module_0.py", "src/pkg/module_1.py"]
    first = comments[0]
    assert first.line == 3 and first.as_github()["side"] == "RIGHT"
    assert "0.90 high" in first.body and "Split the change" in first.body
    assert fingerprint_of(first.body) == first.fingerprint
    assert first.fingerprint == fingerprint("octo/demo", "src/pkg/module_0.py")
    assert review_comments(sample_result(files=5), budget=2) == comments
    assert fingerprint("octo/other", "src/pkg/module_0.py") != first.fingerprint
    assert fingerprint_of("a human comment") is None
    assert review_comments(result, budget=0) == []


def test_a_file_without_changed_lines_gets_a_file_level_comment() -> None:
    deleted = dataclasses.replace(file_result(0), changed_lines=())
    result = dataclasses.replace(sample_result(files=0), files=(deleted,))
    (comment,) = review_comments(result, budget=3)
    assert comment.line is None and comment.subject_type == "file"
    assert comment.as_github() == {"path": deleted.path, "body": comment.body,
                                   "subject_type": "file"}


def existing(comment_id: int, comment: ReviewComment, body: str | None = None) -> dict[str, Any]:
    """A review comment as GitHub lists it."""
    return {"id": comment_id, "path": comment.path, "body": body or comment.body}


def test_plan_review_updates_posts_and_resolves_without_duplicates() -> None:
    before = review_comments(sample_result(files=3), budget=2)  # module_0, module_1
    changed = dataclasses.replace(file_result(1), changed_lines=(LineRange(5, 6),),
                                  added=99)
    after_result = dataclasses.replace(sample_result(files=3),
                                       files=(file_result(0), changed, file_result(2)))
    after = review_comments(after_result, budget=3)  # module_0 same, module_1 new body, module_2
    human = {"id": 1, "path": "src/pkg/module_0.py", "body": "looks fine to me"}
    plan = plan_review(after, [existing(10, before[0]), existing(11, before[1]), human], "c" * 40)
    assert [c.path for c in plan.post] == ["src/pkg/module_2.py"]
    assert [comment_id for comment_id, _ in plan.update] == [11]
    assert plan.resolve == []
    later = plan_review(after[:1], [existing(10, after[0]), existing(11, after[1])], "d" * 40)
    assert later.post == [] and later.update == []
    ((resolved_id, body),) = later.resolve
    assert resolved_id == 11 and body.startswith("✅ Resolved in dddddddddddd")
    assert fingerprint_of(body) == after[1].fingerprint
    again = plan_review(after[:1], [existing(10, after[0]), existing(11, after[1], body)],
                        "e" * 40)
    assert again.resolve == []  # already resolved: left alone
    reopened = plan_review(after[:2], [existing(10, after[0]), existing(11, after[1], body)],
                           "f" * 40)
    assert reopened.update == [(11, after[1].body)] and reopened.post == []


def test_plan_review_keeps_one_comment_per_fingerprint() -> None:
    (comment,) = review_comments(sample_result(files=1), budget=1)
    plan = plan_review([comment], [existing(21, comment), existing(20, comment, "old " +
                                                                     comment.body)], "a" * 40)
    assert plan.update == [(20, comment.body)] and plan.post == [] and plan.resolve == []
