"""The `diffrisk` command line: mine, szz, graph, train, models, drift, store, features,
analyze, action, and the App's serve, worker, receive and sweep."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from analyzers.catalogue import catalogue_markdown
from analyzers.git import GitRepo
from app.action.command import action
from app.analyze_command import analyze
from app.app_commands import receive, serve, sweep, worker
from app.bug_reports import read_bug_reports
from app.cli_support import fail, progress_bar, reports_errors
from app.drift_command import drift
from app.export import write_features_csv
from app.mining import mine_repository
from app.models_command import models
from app.output_files import atomic_text_file
from app.settings import Settings, load_settings
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore, open_feature_store
from app.szz_report import szz_report, szz_report_text
from app.train_command import train


@click.group()
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML settings file (also DIFFRISK_CONFIG).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the embedded SQLite store lives (DIFFRISK_DATA_DIR).")
@click.option("--database-url", help="SQLAlchemy URL of the store (DATABASE_URL).")
@click.option("--redis-url", help="Redis for the hot-feature cache (REDIS_URL).")
@click.version_option(package_name="diffrisk")
@click.pass_context
@reports_errors
def main(ctx: click.Context, config: Path | None, data_dir: Path | None,
         database_url: str | None, redis_url: str | None) -> None:
    """diffrisk: pull-request risk learned from a repository's own history."""
    ctx.obj = load_settings(config, os.environ, {
        "data_dir": data_dir, "database_url": database_url, "redis_url": redis_url})


def _feature_store(settings: Settings) -> FeatureStore:
    return open_feature_store(open_store(settings.store_url), settings.redis_url,
                              settings.cache_ttl_seconds)


@main.command()
@click.option("--repo", "repo_path", default=".", show_default=True,
              type=click.Path(path_type=Path), help="A git clone or bare mirror.")
@click.option("--rev", default="HEAD", show_default=True, help="Branch, tag or commit to mine.")
@click.option("--name", help="Name the repository is stored under (default: its path).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one CSV row per commit with its features and SZZ label.")
@click.option("--include-merges", is_flag=True, help="Keep merge commits in the CSV.")
@click.option("--bug-reports", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV id,opened_at[,is_bug] of issues: cited bugs mark fixes, dates bound SZZ.")
@click.option("--fix-pattern", help="Regular expression for fix messages (DIFFRISK_FIX_PATTERN).")
@click.option("--allow-no-fixes", is_flag=True, help="Store a history with no fix commit.")
@click.pass_obj
@reports_errors
def mine(settings: Settings, repo_path: Path, rev: str, name: str | None, output: Path | None,
         include_merges: bool, bug_reports: Path | None, fix_pattern: str | None,
         allow_no_fixes: bool) -> None:
    """Mine a repository's history into the store (only new commits on later runs)."""
    if fix_pattern is not None:
        settings = load_settings(overrides={**settings.__dict__, "fix_pattern": fix_pattern})
    repo = GitRepo(repo_path)
    reports = read_bug_reports(bug_reports) if bug_reports else {}
    engine = open_store(settings.store_url)
    with progress_bar() as progress:
        task = progress.add_task("mining", total=None)
        report = mine_repository(
            engine, settings, repo, rev=rev, name=name, reports=reports,
            allow_no_fixes=allow_no_fixes,
            on_total=lambda n: progress.update(task, total=n),
            on_advance=lambda n: progress.advance(task, n))
    click.echo(f"mined {report.new_commits} new commits of {report.repository} "
               f"({report.total_commits} stored, {report.new_fixes} new fixes, "
               f"{report.new_links} new SZZ links) in {report.seconds:.1f}s, of which SZZ "
               f"{report.labelling_seconds:.1f}s", err=True)
    if output is not None:
        with atomic_text_file(output) as handle:
            rows = write_features_csv(FeatureStore(engine), report.repository_id, handle,
                                      include_merges)
        click.echo(f"wrote {rows} rows to {output}", err=True)


@main.command()
@click.option("--repo", "repo_path", default=".", show_default=True,
              type=click.Path(path_type=Path), help="A git clone or bare mirror.")
@click.option("--fix", "fix_ref", required=True, help="The fix commit to explain.")
@click.option("--name", help="Name the repository is stored under (default: its path).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@reports_errors
def szz(settings: Settings, repo_path: Path, fix_ref: str, name: str | None,
        as_json: bool) -> None:
    """Show the commits a fix marks bug-inducing, and the lines behind each link."""
    repo = GitRepo(repo_path)
    report = szz_report(_feature_store(settings), repo, settings, fix_ref, name or str(repo.path))
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(szz_report_text(report))


@main.command()
@click.option("--repo", "repo_path", default=".", show_default=True,
              type=click.Path(path_type=Path), help="A git clone or bare mirror.")
@click.option("--base", help="Where the change starts (default: the default branch); the "
              "graph shows merge-base(base, head)..head.")
@click.option("--head", default="HEAD", show_default=True, help="The change's last commit.")
@click.option("--format", "output_format", type=click.Choice(["json", "dot"]), default="json",
              show_default=True, help="JSON for tools, Graphviz dot for people.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to a file instead of stdout.")
@click.pass_obj
@reports_errors
def graph(settings: Settings, repo_path: Path, base: str | None, head: str,
          output_format: str, output: Path | None) -> None:
    """The change's import subgraph: changed files, what they import, what imports them."""
    # Imported here: networkx and SciPy take a while to load, which other commands need not pay.
    from analyzers.depgraph import change_subgraph, subgraph_dot, subgraph_json  # noqa: PLC0415
    from analyzers.diff import pull_request_diff  # noqa: PLC0415
    from app.graph_cache import GraphCache, graph_of_change  # noqa: PLC0415

    repo = GitRepo(repo_path)
    base = base or repo.default_branch()
    if base is None:
        fail("no default branch (origin/HEAD, main or master) to compare with: pass --base")
        return
    change = pull_request_diff(repo, base, head)
    imports = graph_of_change(repo, change.base, change.head,
                              GraphCache(settings.data_dir.expanduser()))
    sub = change_subgraph(imports, [f.path for f in change.files if f.status != "deleted"])
    text = (json.dumps({"base": change.base, "head": change.head, **subgraph_json(sub)},
                       indent=2) + "\n" if output_format == "json" else subgraph_dot(sub))
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_text_file(output) as handle:
        handle.write(text)


@main.group()
def store() -> None:
    """Inspect and clean the feature store."""


@store.command()
@click.option("--repo", "repo_path", default=".", show_default=True,
              type=click.Path(path_type=Path), help="The repository that was mined.")
@click.option("--name", help="Name the repository is stored under (default: its path).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@reports_errors
def stats(settings: Settings, repo_path: Path, name: str | None, as_json: bool) -> None:
    """Counts of what the store holds for a repository."""
    feature_store = _feature_store(settings)
    key = name or str(repo_path.resolve())
    repository_id = feature_store.repository_id(key)
    if repository_id is None:
        fail(f"{key} has not been mined: run `diffrisk mine --repo {repo_path}` first")
        return
    result = feature_store.stats(repository_id)
    if as_json:
        click.echo(json.dumps(result.__dict__, indent=2))
    else:
        for field, value in result.__dict__.items():
            click.echo(f"{field:18} {value}")


@store.command()
@click.pass_obj
@reports_errors
def cleanup(settings: Settings) -> None:
    """Delete rows mined by other extractor versions."""
    removed = FeatureStore(open_store(settings.store_url)).delete_stale_versions()
    click.echo(f"removed {removed} stale commits")


main.add_command(train)
main.add_command(analyze)
main.add_command(action)
main.add_command(drift)
main.add_command(models)
for _app_command in (serve, worker, receive, sweep):
    main.add_command(_app_command)


@main.command()
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to a file instead of stdout.")
@reports_errors
def features(output: Path | None) -> None:
    """Print the feature catalogue (the source of docs/features.md)."""
    if output is None:
        click.echo(catalogue_markdown(), nl=False)
        return
    with atomic_text_file(output) as handle:
        handle.write(catalogue_markdown())
