"""`diffrisk action`: the GitHub Action's step — analyse the pull request of the event, write
the job summary, annotations, outputs and SARIF file, post the check run and review when the
token can write, and fail the step when the gate fails (unless advisory)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from app.cli_support import reports_errors
from app.reports.result import AnalysisResult
from app.settings import Settings

DEFAULT_API_URL = "https://api.github.com"


def advisory_input(environ: Mapping[str, str]) -> bool:
    """INPUT_ADVISORY as a boolean; anything but true/false is a clear error."""
    value = environ.get("INPUT_ADVISORY", "false").strip().lower() or "false"
    if value not in ("true", "false"):
        raise ValueError(f"input advisory must be true or false, not {value!r}")
    return value == "true"


def budget_input(environ: Mapping[str, str], default: int) -> int:
    """INPUT_COMMENT_BUDGET (empty: the repository's configured budget)."""
    from app.gate_config import parse_budget  # noqa: PLC0415

    text = environ.get("INPUT_COMMENT_BUDGET", "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"input comment-budget must be a whole number, not {text!r}")
    return parse_budget(int(text))


def write_job_files(result: AnalysisResult, sarif: Path, environ: Mapping[str, str]) -> None:
    """The SARIF file, the job summary, the step's outputs and the annotation lines."""
    from app.action.workflow import annotation_commands, write_outputs, write_step_summary  # noqa: PLC0415
    from app.reports.markdown import render_markdown  # noqa: PLC0415
    from app.reports.sarif import write_sarif  # noqa: PLC0415

    write_sarif(result, sarif)
    if environ.get("GITHUB_STEP_SUMMARY"):
        write_step_summary(environ["GITHUB_STEP_SUMMARY"], render_markdown(result))
    if environ.get("GITHUB_OUTPUT"):
        write_outputs(environ["GITHUB_OUTPUT"], {
            "risk": f"{result.risk.value:.4f}", "health": f"{result.health.value:.2f}",
            "conclusion": result.gate.conclusion, "sarif": str(sarif)})
    for line in annotation_commands(result):
        click.echo(line)


@click.command()
@click.option("--event", "event_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="$GITHUB_EVENT_PATH.")
@click.option("--repo", "repo_path", default=".", show_default=True,
              type=click.Path(path_type=Path), help="The checked-out repository.")
@click.option("--sarif", "sarif_path", default="diffrisk.sarif", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Where to write SARIF.")
@click.option("--base", help="Compare with this commit instead of the pull request's base.")
@click.pass_obj
@reports_errors
def action(settings: Settings, event_path: Path, repo_path: Path, sarif_path: Path,
           base: str | None) -> None:
    """Run diffrisk as a GitHub Actions step on a pull_request event."""
    from analyzers.git import GitRepo  # noqa: PLC0415
    from app.action.event import read_pull_request_event  # noqa: PLC0415
    from app.action.publish import publish  # noqa: PLC0415
    from app.action.workflow import annotation_command  # noqa: PLC0415
    from app.analysis.run import AnalyzeRequest, gate_config_at  # noqa: PLC0415
    from app.analyze_command import analyze_with_progress, exit_code  # noqa: PLC0415
    from app.github_client import GitHubClient  # noqa: PLC0415
    from app.reviewer_logins import with_reviewer_logins  # noqa: PLC0415

    environ = os.environ
    advisory = advisory_input(environ)
    event = read_pull_request_event(event_path, environ.get("GITHUB_EVENT_NAME", "pull_request"))
    base_ref = base or event.base_sha
    budget = budget_input(environ, gate_config_at(GitRepo(repo_path), base_ref).comment_budget)
    result = analyze_with_progress(settings, AnalyzeRequest(
        repo_path, base_ref, event.head_sha, event.repository))
    token = environ.get("GITHUB_TOKEN", "")
    client = GitHubClient(environ.get("GITHUB_API_URL") or DEFAULT_API_URL, token) \
        if token else None
    if client is not None:
        result = with_reviewer_logins(client, event.repository, result)
    write_job_files(result, sarif_path, environ)
    if client is not None:
        published = publish(client, event.repository, event.number, result, budget)
        if published.skipped:
            click.echo(annotation_command("warning", published.skipped))
        else:
            click.echo(f"posted check run {published.check_run_id}: {published.posted} new, "
                       f"{published.updated} updated, {published.resolved} resolved review "
                       "comments", err=True)
    click.echo(f"gate: {result.gate.conclusion}" + (" (advisory)" if advisory else ""), err=True)
    sys.exit(0 if advisory else exit_code(result))
