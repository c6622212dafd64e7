"""`diffrisk analyze` end to end: mine what is new, learn the repository's models when they are
missing or stale, then facts, scores, explanations and the gate for one change."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analyzers.errors import MissingRefError
from analyzers.git import GitRepo
from app.analysis.history import load_history
from app.analysis.model_set import LoadedModels, load_models
from app.analysis.retraining import learn_when_due
from app.analysis.training import TrainingStep
from app.gate_config import CONFIG_PATH, GateConfig, parse_gate_config
from app.reports.result import AnalysisResult, FileResult, Gate, Score
from app.settings import Settings
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from app.storage.registry import ModelRegistry

Progress = Callable[[int], None]


@dataclass(frozen=True)
class AnalyzeRequest:
    """What to analyse: the repository, the change's base and head, the stored name."""

    repo_path: Path
    base: str | None = None
    head: str = "HEAD"
    name: str | None = None
    retrain: bool = False
    gate_ref: str | None = None  # where .github/diffrisk.yml is read (default: the base)


@dataclass
class AnalyzeHooks:
    """How the caller follows long work: mining progress and a line per step."""

    on_total: Progress | None = None
    on_advance: Progress | None = None
    on_status: Callable[[str], None] = lambda text: None
    training: list[TrainingStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Timer:
    """Wall seconds per named step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        """Record the time since the previous lap under a name."""
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 4)
        self._last = now


def base_ref(repo: GitRepo, base: str | None) -> str:
    """The base to compare with: the one given, else the default branch."""
    if base is not None:
        return base
    found = repo.default_branch()
    if found is None:
        raise MissingRefError("no default branch (origin/HEAD, main or master) to compare "
                              "with: pass --base REF")
    return found


def gate_config_at(repo: GitRepo, ref: str) -> GateConfig:
    """The gate configuration as the base has it (a pull request cannot loosen its gate)."""
    from app.analysis.change import file_lines  # noqa: PLC0415

    lines = file_lines(repo, repo.resolve(ref), CONFIG_PATH, 64 * 1024 + 1)
    return parse_gate_config("\n".join(lines) if lines else None)


def model_labels(loaded: LoadedModels) -> dict[str, str]:
    """The result's model block: the risk model's name and version, then every kind's label."""
    name, _, version = loaded.labels["risk"].rpartition("@")
    return {"name": name, "version": version, **loaded.labels}


def unscored_result(repository: str, base: str, head: str, reason: str,
                    files: tuple[FileResult, ...], model: dict[str, str],
                    timings: dict[str, float]) -> AnalysisResult:
    """The result of a change with nothing to score (empty, binary-only, all ignored)."""
    nothing = Score(math.nan, "low")
    return AnalysisResult(repository, base, head, nothing, nothing, nothing, nothing, nothing,
                          0.0, files, (), (), (), Gate("neutral", (reason,)), model, timings)


def prepare_models(settings: Settings, repo: GitRepo, request: AnalyzeRequest, base: str,
                   hooks: AnalyzeHooks, timer: Timer) -> tuple[object, LoadedModels, object]:
    """Mine the base's history, train when needed, load the models."""
    from app.mining import mine_repository  # noqa: PLC0415

    engine = open_store(settings.store_url)
    name = request.name or str(repo.path)
    hooks.on_status(f"mining {name}")
    mined = mine_repository(engine, settings, repo, rev=base, name=name, allow_no_fixes=True,
                            on_total=hooks.on_total, on_advance=hooks.on_advance)
    timer.lap("mine")
    history = load_history(FeatureStore(engine), name)
    due, steps = learn_when_due(
        engine, repo, history, settings.drift_threshold, retrain=request.retrain,
        judge_drift=mined.new_commits > 0, on_train=lambda why: hooks.on_status(f"training: {why}"),
        on_step=lambda kind: hooks.on_status(f"training the {kind} model"))
    hooks.training.extend(steps or ())
    if request.retrain and steps is None:
        hooks.notes.append(f"--retrain: {due.reason}")
    timer.lap("train")
    return engine, load_models(ModelRegistry(engine), name, settings.data_dir.expanduser()), \
        history


def analyze(settings: Settings, request: AnalyzeRequest,
            hooks: AnalyzeHooks | None = None) -> AnalysisResult:
    """Analyse the change base..head of a repository (base: the default branch)."""
    from analyzers.diff import pull_request_diff  # noqa: PLC0415
    from app.analysis.change import prepare_change  # noqa: PLC0415
    from app.analysis.result_builder import ResultContext, build_result, file_results  # noqa: PLC0415
    from app.pull_request import pull_request_features  # noqa: PLC0415

    hooks = hooks or AnalyzeHooks()
    timer = Timer()
    repo = GitRepo(request.repo_path)
    base = base_ref(repo, request.base)
    repo.resolve(request.head)
    config = gate_config_at(repo, request.gate_ref or base)
    engine, loaded, history = prepare_models(settings, repo, request, base, hooks, timer)
    name = request.name or str(repo.path)
    diff = pull_request_diff(repo, base, request.head)
    if diff.truncated:
        hooks.notes.append(f"the change has more files than the {len(diff.files)} analysed "
                           "(the diff limit): the rest are left out")
    ignored = frozenset(f.path for f in diff.files if config.ignored(f.path))
    scored = {f.path for f in diff.scored() if f.path not in ignored and f.status != "deleted"}
    model = model_labels(loaded)
    if not scored:
        reason = "the change has no files" if not diff.files else "no changed file can be scored"
        timer.lap("facts")
        return unscored_result(name, diff.base, diff.head, reason,
                               file_results(diff, {}, ignored), model, timer.seconds)
    hooks.on_status("computing the change's facts")
    mined = pull_request_features(engine, settings, repo, name, diff.base, diff.head,  # type: ignore[arg-type]
                                  history.past)  # type: ignore[attr-defined]
    prepared = prepare_change(repo, diff, mined, history, loaded.models,  # type: ignore[arg-type]
                              scored, settings.data_dir.expanduser())
    timer.lap("facts")
    scores = loaded.models.score(prepared.inputs)
    timer.lap("scores")
    context = ResultContext(name, config, model, timer.seconds, ignored)
    result = build_result(diff, prepared, loaded.models, scores, context)
    timer.lap("explain")
    return result


def describe_training(steps: list[TrainingStep]) -> list[str]:
    """One line per trained kind, for the command's log."""
    return [f"{s.kind}: {s.status}{' ' + s.version if s.version else ''}"
            f"{' (' + s.note + ')' if s.note else ''}" for s in steps]


