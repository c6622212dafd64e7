"""`diffrisk analyze`: score a change, explain it, apply the gate, write the report.

Exit codes: 0 when the gate passes (success or neutral), 1 when it fails, 2 on an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.analysis.run import AnalyzeHooks, AnalyzeRequest, describe_training
from app.analysis.run import analyze as run_analysis
from app.cli_support import progress_bar, reports_errors
from app.output_files import atomic_text_file
from app.reports.result import AnalysisResult
from app.settings import Settings

FORMATS = ("text", "json", "markdown", "sarif", "html")
EXIT_PASSED, EXIT_FAILED = 0, 1


def render(result: AnalysisResult, output_format: str) -> str:
    """The report in one format, as text."""
    from app.reports.result import result_json  # noqa: PLC0415

    if output_format == "json":
        return json.dumps(result_json(result), indent=2, ensure_ascii=False) + "\n"
    if output_format == "markdown":
        from app.reports.markdown import render_markdown  # noqa: PLC0415

        return render_markdown(result) + "\n"
    if output_format == "sarif":
        from app.reports.sarif import render_sarif  # noqa: PLC0415

        return json.dumps(render_sarif(result), indent=2, ensure_ascii=False) + "\n"
    if output_format == "html":
        from app.reports.html import render_html  # noqa: PLC0415

        return render_html(result)
    from app.reports.text import render_text  # noqa: PLC0415

    return render_text(result) + "\n"


def exit_code(result: AnalysisResult) -> int:
    """0 when the gate passes (success or neutral), 1 when it fails."""
    return EXIT_FAILED if result.gate.conclusion == "failure" else EXIT_PASSED


def analyze_with_progress(settings: Settings, request: AnalyzeRequest) -> AnalysisResult:
    """Run the analysis with a progress bar for mining and a line per long step."""
    with progress_bar() as progress:
        task = progress.add_task("mining", total=None)
        hooks = AnalyzeHooks(lambda n: progress.update(task, total=n),
                             lambda n: progress.advance(task, n),
                             lambda text: progress.update(task, description=text))
        result = run_analysis(settings, request, hooks)
    for line in describe_training(hooks.training):
        click.echo(f"trained {line}", err=True)
    for note in hooks.notes:
        click.echo(f"note: {note}", err=True)
    return result


@click.command()
@click.option("--repo", "repo_path", default=".", show_default=True,
              type=click.Path(path_type=Path), help="A clone with its full history.")
@click.option("--base", help="Where the change starts (default: the default branch); the "
              "change is merge-base(base, head)..head.")
@click.option("--head", default="HEAD", show_default=True, help="The change's last commit.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="The report's format.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to a file instead of stdout.")
@click.option("--name", help="Name the repository is stored under (default: its path).")
@click.option("--retrain", is_flag=True, help="Retrain the repository's models first.")
@click.pass_obj
@reports_errors
def analyze(settings: Settings, repo_path: Path, base: str | None, head: str,
            output_format: str, output: Path | None, name: str | None, retrain: bool) -> None:
    """Score a change's risk, bug, anomaly, impact and health; exit 1 when the gate fails."""
    result = analyze_with_progress(
        settings, AnalyzeRequest(repo_path, base, head, name, retrain))
    text = render(result, output_format)
    if output is None:
        click.echo(text, nl=False)
    else:
        with atomic_text_file(output) as handle:
            handle.write(text)
        click.echo(f"wrote the {output_format} report to {output}", err=True)
    click.echo(f"gate: {result.gate.conclusion}"
               + (f" ({'; '.join(result.gate.reasons)})" if result.gate.reasons else ""),
               err=True)
    sys.exit(exit_code(result))
