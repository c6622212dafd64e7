"""Mine a repository into the store: new commits, their features and SZZ labels, atomically."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from analyzers.batching import batched
from analyzers.errors import NoFixesError
from analyzers.fixes import FixMatcher
from analyzers.git import GitRepo
from analyzers.history import HistoryState, MinedCommit
from analyzers.miner import count_commits, mine_history, replay_history
from analyzers.szz import (
    FixCommit,
    SzzOptions,
    declared_ignored_revisions,
    find_bug_inducing,
    select_ignored_revisions,
)
from app.bug_reports import BugReport
from app.settings import Settings
from app.storage.locks import learning_lock
from app.storage.writer import HistoryWriter, StoredLink

BATCH = 1000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class MiningReport:
    """What one mining run added to the store."""

    repository: str
    repository_id: int
    new_commits: int
    total_commits: int
    new_fixes: int
    new_links: int
    seconds: float
    labelling_seconds: float


@dataclass
class _Run:
    """The state of one run, inside its transaction."""

    conn: Connection
    writer: HistoryWriter
    repository_id: int
    position: int
    fixes: list[FixCommit] = dataclasses.field(default_factory=list)


def fix_matcher(settings: Settings, reports: Mapping[str, BugReport]) -> FixMatcher:
    """The fix matcher of the settings, knowing which issues are bugs."""
    return FixMatcher(settings.fix_pattern, settings.issue_pattern, frozenset(reports))


def _report_time(mined: MinedCommit, reports: Mapping[str, BugReport]) -> int | None:
    times = [reports[i].opened_at for i in mined.issues if i in reports]
    return min(times) if times else None


def _store_batch(run: _Run, batch: list[MinedCommit], reports: Mapping[str, BugReport]) -> None:
    run.writer.add_commits(run.conn, run.repository_id, run.position, batch)
    run.position += len(batch)
    for mined in batch:
        if mined.is_fix:
            run.fixes.append(FixCommit(mined.commit.sha, mined.commit.commit_time,
                                       _report_time(mined, reports)))


def _label(repo: GitRepo, run: _Run, settings: Settings, head: str) -> int:
    sizes = run.writer.commit_sizes(run.conn, run.repository_id)
    merges = frozenset(sha for sha, _, _, is_merge in sizes if is_merge)
    mechanical = select_ignored_revisions(
        sizes, max_files=settings.mechanical_max_files, max_lines=settings.mechanical_max_lines,
        include_merges=False) | declared_ignored_revisions(repo, head)
    run.writer.tag_commits(run.conn, run.repository_id, mechanical, "mechanical")
    options = dataclasses.replace(SzzOptions(), ignore_revs=mechanical | merges,
                                  max_fix_files=settings.szz_max_fix_files)
    links = (StoredLink(link.fix_sha, link.inducing_sha, link.path,
                        [[b.fix_line, b.inducing_line, b.content] for b in link.lines],
                        link.known_at)
             for link in find_bug_inducing(repo, run.fixes, options, merges=merges))
    return run.writer.add_links(run.conn, run.repository_id, links)


def _minimal_tips(repo: GitRepo, head: str, older: Iterable[str]) -> list[str]:
    """head plus the older tips it does not contain."""
    keep = [head]
    for tip in older:
        if tip != head and not repo.is_ancestor(tip, head):
            keep.append(tip)
    return sorted(set(keep))


def _store_new_commits(run: _Run, commits: Iterable[MinedCommit],
                       reports: Mapping[str, BugReport], on_advance: Progress | None) -> None:
    """Write mined commits in batches of BATCH, reporting progress after each."""
    for batch in batched(commits, BATCH):
        _store_batch(run, batch, reports)
        if on_advance:
            on_advance(len(batch))


def _require_fixes(run: _Run, name: str) -> None:
    if run.writer.count_fixes(run.conn, run.repository_id) == 0:
        raise NoFixesError(
            f"no bug-fix commits found in the {run.position} commits of {name}, so no label "
            "can be learned: set fix_pattern (DIFFRISK_FIX_PATTERN) to match this project's "
            "fix messages, or pass --allow-no-fixes")


def mine_repository(engine: Engine, settings: Settings, repo: GitRepo, *, rev: str = "HEAD",
                    name: str | None = None, reports: Mapping[str, BugReport] | None = None,
                    allow_no_fixes: bool = False, on_total: Progress | None = None,
                    on_advance: Progress | None = None) -> MiningReport:
    """Mine what is new since the last run, label it with SZZ, store it all or nothing."""
    started = time.perf_counter()
    repo.require_full_history()
    head = repo.resolve(rev)
    reports = reports or {}
    name = name or str(repo.path)
    with learning_lock(engine, name), engine.begin() as conn:
        writer = HistoryWriter()
        repository_id = writer.repository_id(conn, name, str(repo.path))
        tips, stored = writer.mining_state(conn, repository_id)
        exclude = [tip for tip in tips if repo.commit_exists(tip)]
        new = count_commits(repo, [head], exclude)
        if on_total:
            on_total(new)
        if stored and exclude and len(exclude) == len(tips) and new == 0:
            # Nothing new: no need to replay the stored history.
            return MiningReport(name, repository_id, 0, stored, 0, 0,
                                time.perf_counter() - started, 0.0)
        state = HistoryState()
        if stored:
            replay_history(state, writer.replay_history(conn, repository_id), repo)
        skip = writer.stored_shas(conn, repository_id) if len(exclude) < len(tips) else set()
        run = _Run(conn, writer, repository_id, position=stored)
        _store_new_commits(run, mine_history(repo, state, [head], exclude, skip=skip,
                                             fixes=fix_matcher(settings, reports)),
                           reports, on_advance)
        labelling_started = time.perf_counter()
        new_links = _label(repo, run, settings, head) if run.fixes else 0
        labelling_seconds = time.perf_counter() - labelling_started
        if not allow_no_fixes:
            _require_fixes(run, name)
        writer.save_mining_state(conn, repository_id, _minimal_tips(repo, head, exclude),
                                 run.position)
    return MiningReport(name, repository_id, run.position - stored, run.position,
                        len(run.fixes), new_links, time.perf_counter() - started,
                        labelling_seconds)
