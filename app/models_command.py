"""`diffrisk models list|show|promote|deprecate|export`: the model registry from the shell."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from app.cli_support import reports_errors
from app.output_files import atomic_binary_file
from app.settings import Settings
from app.storage.database import open_store
from app.storage.registry import KINDS, ModelEntry, ModelRegistry
from app.training_run import save_model

REPOSITORY = click.option("--repository", help="A mined repository (default: the "
                                               "cross-project models).")
KIND = click.option("--kind", type=click.Choice(KINDS), default="risk", show_default=True)
F = TypeVar("F", bound=Callable[..., Any])


def one_version(command: F) -> F:
    """The arguments every command about one version takes: VERSION, --repository, --kind."""
    return click.argument("version")(REPOSITORY(KIND(command)))


def _registry(settings: Settings) -> ModelRegistry:
    return ModelRegistry(open_store(settings.store_url))


def day(timestamp: int) -> str:
    """A unix time as YYYY-MM-DD (UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def entry_json(entry: ModelEntry) -> dict[str, Any]:
    """An entry as plain JSON values."""
    values = asdict(entry)
    values["created_at"] = entry.created_at.isoformat()
    return values


def entry_line(entry: ModelEntry) -> str:
    """One line of `models list`."""
    auc = entry.metrics.get("auc")
    shown = f"{auc:.3f}" if isinstance(auc, float) else "-"
    return (f"{entry.label:18} {entry.status:11} {entry.candidate:9} auc {shown}  "
            f"test {day(entry.test_window[0])}..{day(entry.test_window[1])}  "
            f"data {entry.data_hash[:12]}")


def empty_list_line(registry: ModelRegistry, repository: str | None) -> str:
    """Why the list is empty, and where the models are when they are a repository's."""
    if repository is not None:
        return (f"no models registered for {repository}: run `diffrisk train --repository "
                f"{repository} --register` (or `diffrisk analyze`, which learns them)")
    names = registry.repositories_with_models()
    if not names:
        return "no models registered: run `diffrisk train --register`"
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"no cross-project models registered; the repositories {shown} have their own: "
            "pass --repository NAME")


@click.group()
def models() -> None:
    """The model registry: versions, statuses, promotion."""


@models.command("list")
@REPOSITORY
@click.option("--kind", type=click.Choice(KINDS), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@reports_errors
def list_models(settings: Settings, repository: str | None, kind: str | None,
                as_json: bool) -> None:
    """Every registered version, oldest first."""
    registry = _registry(settings)
    entries = registry.versions(repository, kind)
    if as_json:
        click.echo(json.dumps([entry_json(e) for e in entries], indent=2))
        return
    if not entries:
        click.echo(empty_list_line(registry, repository))
    for entry in entries:
        click.echo(entry_line(entry))


@models.command()
@one_version
@click.pass_obj
@reports_errors
def show(settings: Settings, version: str, repository: str | None, kind: str) -> None:
    """Everything recorded about one version, as JSON."""
    click.echo(json.dumps(entry_json(_registry(settings).get(repository, kind, version)),
                          indent=2))


@models.command()
@one_version
@click.pass_obj
@reports_errors
def promote(settings: Settings, version: str, repository: str | None, kind: str) -> None:
    """Put a validated version in production if it beat the one it replaces."""
    entry = _registry(settings).promote(repository, kind, version)
    click.echo(f"{entry.label} is now in production")


@models.command()
@one_version
@click.pass_obj
@reports_errors
def deprecate(settings: Settings, version: str, repository: str | None, kind: str) -> None:
    """Retire a version."""
    entry = _registry(settings).deprecate(repository, kind, version)
    click.echo(f"{entry.label} is deprecated")


@models.command()
@one_version
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the model (.json, .json.gz, or .onnx for ONNX).")
@click.pass_obj
@reports_errors
def export(settings: Settings, version: str, repository: str | None, kind: str,
           output: Path) -> None:
    """Write a registered model to a file: its JSON, or an ONNX graph of the risk model."""
    model = _registry(settings).load(repository, kind, version)
    if output.suffix == ".onnx":
        from models.onnx_export import risk_onnx_bytes  # noqa: PLC0415

        if kind != "risk":
            raise click.BadParameter("ONNX export is for risk models", param_hint="--kind")
        graph = risk_onnx_bytes(model)
        with atomic_binary_file(output) as stream:
            stream.write(graph)
    else:
        save_model(model, output)
    click.echo(f"wrote {kind}@{version} to {output}")
