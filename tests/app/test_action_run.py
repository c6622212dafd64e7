"""The real action.yml run step by step with a realistic GITHUB_* environment and the official
pull_request.opened payload (pointed at a test repository), against the fake GitHub: summary,
annotations, outputs, SARIF, a check run and a review; a later push updates the review instead
of duplicating it; a read-only token (a fork's pull request) falls back without failing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.action_steps import run_action
from tests.app.test_action_yml import event_file
from tests.fakegithub import FakeGitHub
from tests.gitbuild import RepoBuilder
from tests.history_repo import pull_request_on_history

ROOT = Path(__file__).parents[2]
REPOSITORY = "Codertocat/Hello-World"
TOKEN = "ghs_actiontesttoken0123456789"


def pull_request_event(path: Path, base: str, head: str) -> Path:
    """The official payload with the pull request's base and head moved to our commits."""
    payload = json.loads(event_file().read_text())
    payload["pull_request"]["base"].update(sha=base, ref="main")
    payload["pull_request"]["head"].update(sha=head)
    path.write_text(json.dumps(payload))
    return path


def patches(builder: RepoBuilder, base: str, head: str) -> list[dict[str, Any]]:
    """GitHub's diff entries (filename and patch) of base..head."""
    entries = []
    for name in builder.git("diff", "--name-only", base, head).split():
        text = builder.git("diff", "-U3", base, head, "--", name)
        entries.append({"filename": name, "patch": text[text.index("@@"):]})
    return entries


def run_step(builder: RepoBuilder, fake: FakeGitHub, tmp_path: Path, base: str, head: str,
             advisory: str = "false") -> Any:
    """The action on the builder's repository for base..head."""
    number = json.loads(event_file().read_text())["number"]
    fake.add_pull(REPOSITORY, number, head, base, patches(builder, base, head))
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    bin_dir = Path(sys.executable).parent
    return run_action(
        ROOT, builder.path, pull_request_event(tmp_path / f"event-{head[:7]}.json", base, head),
        temp, inputs={"advisory": advisory, "sarif-file": str(temp / "diffrisk.sarif")},
        replace_steps={"install": f'echo "{bin_dir}" >> "$GITHUB_PATH"'},
        uses_outputs={"python": {"python-version": "3.11", "python-path": sys.executable}},
        github={"token": TOKEN, "api_url": fake.base_url, "repository": REPOSITORY})


@pytest.fixture
def change(builder: RepoBuilder) -> tuple[str, str]:
    """A history long enough to learn from on main, and a pull request branch."""
    return pull_request_on_history(builder)


def test_the_action_reports_posts_and_updates_without_duplicates(
        builder: RepoBuilder, change: tuple[str, str], tmp_path: Path) -> None:
    base, head = change
    with FakeGitHub() as fake:
        run = run_step(builder, fake, tmp_path, base, head, advisory="true")
        step = run.step("diffrisk")
        assert step.exit_code == 0, step.stderr
        assert set(run.outputs) == {"risk", "health", "conclusion", "sarif"}
        assert 0.0 <= float(run.outputs["risk"]) <= 1.0
        assert run.outputs["conclusion"] in ("success", "failure", "neutral")
        sarif = tmp_path / "runner-temp/diffrisk.sarif"
        assert run.outputs["sarif"] == str(sarif)
        assert json.loads(sarif.read_text())["version"] == "2.1.0"
        assert "diffrisk" in run.summary and run.problems == []
        assert fake.violations == [] and fake.response_violations == []
        (check,) = fake.check_runs.values()
        assert check["status"] == "completed" and check["head_sha"] == head
        first_comments = {c["id"] for c in fake.comments.values()}
        assert first_comments and all(TOKEN not in r.path for r in fake.requests)

        builder.write("pkg/report.py", "from pkg import mod3\n\n\ndef show(a, b):\n"
                                       "    return mod3.div(a, b) or 0\n")
        newer = builder.commit("Guard the report", author=("Eve", "eve@example.com"))
        again = run_step(builder, fake, tmp_path, base, newer, advisory="true")
        assert again.step("diffrisk").exit_code == 0, again.step("diffrisk").stderr
        assert {c["id"] for c in fake.comments.values()} == first_comments  # updated in place
        assert fake.violations == []


def test_a_read_only_token_falls_back_to_summary_and_annotations(
        builder: RepoBuilder, change: tuple[str, str], tmp_path: Path) -> None:
    base, head = change
    with FakeGitHub() as fake:
        fake.read_only = True
        run = run_step(builder, fake, tmp_path, base, head, advisory="true")
        step = run.step("diffrisk")
        assert step.exit_code == 0, step.stderr
        assert "the token cannot write" in step.stdout
        assert run.summary and run.outputs["conclusion"]
        assert not fake.check_runs and not fake.comments
