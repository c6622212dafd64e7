"""The feature store on SQLite and PostgreSQL: mining runs, queries, atomicity, cache."""

from __future__ import annotations

import io

import pytest
import redis
from alembic import command
from sqlalchemy import Engine, func, select, update

from analyzers.changes import identify
from analyzers.coupling import coupled_files
from analyzers.errors import NoFixesError
from analyzers.git import GitRepo
from app.export import write_features_csv
from app.mining import mine_repository
from app.settings import Settings
from app.storage.cache import FeatureCache
from app.storage.database import alembic_config, create_store_engine, open_store
from app.storage.feature_store import FeatureStore
from app.storage.schema import Commit, FileChange, SzzLink
from tests.gitbuild import RepoBuilder, build_buggy_history

SETTINGS = Settings()


def row_counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (int(conn.scalar(select(func.count()).select_from(Commit)) or 0),
                int(conn.scalar(select(func.count()).select_from(FileChange)) or 0),
                int(conn.scalar(select(func.count()).select_from(SzzLink)) or 0))


def csv_of(engine: Engine, repository_id: int) -> str:
    out = io.StringIO()
    write_features_csv(FeatureStore(engine), repository_id, out)
    return out.getvalue()


def test_mining_stores_commits_files_and_szz_links(engine: Engine, builder: RepoBuilder) -> None:
    shas = build_buggy_history(builder)
    report = mine_repository(engine, SETTINGS, GitRepo(builder.path), name="calc")
    assert (report.new_commits, report.total_commits, report.new_fixes) == (4, 4, 1)
    store = FeatureStore(engine)
    assert store.bug_inducing(report.repository_id) == {shas["root"], shas["introduce"]}
    links = store.links_of_fix(report.repository_id, shas["fix"])
    by_commit = {link["inducing_sha"]: link["lines"] for link in links}
    assert [line[2] for line in by_commit[shas["introduce"]]] == ["    return a * b + 1"]
    assert {link["known_at"] for link in links} == {builder.clock}
    assert row_counts(engine) == (4, 5, 2)


def test_second_run_mines_only_new_commits_and_equals_a_full_run(
        engine: Engine, builder: RepoBuilder, sqlite_url: str) -> None:
    build_buggy_history(builder)
    repo = GitRepo(builder.path)
    first = mine_repository(engine, SETTINGS, repo, name="calc")
    again = mine_repository(engine, SETTINGS, repo, name="calc")
    assert again.new_commits == 0 and row_counts(engine)[0] == 4
    builder.write("calc/ops.py", "def add(a, b):\n    return a + b\n")
    builder.commit("Drop sub and mul")
    later = mine_repository(engine, SETTINGS, repo, name="calc")
    assert (later.new_commits, later.total_commits) == (1, 5)
    fresh = open_store(sqlite_url.replace("diffrisk.db", "fresh.db"))
    full = mine_repository(fresh, SETTINGS, repo, name="calc")
    assert csv_of(engine, first.repository_id) == csv_of(fresh, full.repository_id)


def test_a_failed_run_leaves_the_store_as_before(engine: Engine, builder: RepoBuilder) -> None:
    build_buggy_history(builder)
    repo = GitRepo(builder.path)
    mine_repository(engine, SETTINGS, repo, name="calc")
    before = row_counts(engine)
    for i in range(3):
        builder.write("notes.txt", f"{i}\n")
        builder.commit(f"note {i}")

    def interrupt(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mine_repository(engine, SETTINGS, repo, name="calc", on_advance=interrupt)
    assert row_counts(engine) == before
    assert mine_repository(engine, SETTINGS, repo, name="calc").new_commits == 3


def test_a_history_without_fixes_is_refused_and_nothing_is_stored(
        engine: Engine, builder: RepoBuilder) -> None:
    builder.write("a.txt", "1\n")
    builder.commit("Start")
    repo = GitRepo(builder.path)
    with pytest.raises(NoFixesError, match="fix_pattern"):
        mine_repository(engine, SETTINGS, repo, name="plain")
    assert row_counts(engine) == (0, 0, 0)
    assert mine_repository(engine, SETTINGS, repo, name="plain",
                           allow_no_fixes=True).total_commits == 1


def test_queries_by_time_range_and_tags(engine: Engine, builder: RepoBuilder) -> None:
    shas = build_buggy_history(builder)
    repository_id = mine_repository(engine, SETTINGS, GitRepo(builder.path),
                                    name="calc").repository_id
    store = FeatureStore(engine)
    everything = store.commits(repository_id)
    assert [c.sha for c in everything] == [shas[k] for k in ("root", "introduce", "docs", "fix")]
    middle = store.commits(repository_id, since=everything[1].commit_time,
                           until=everything[3].commit_time)
    assert [c.sha for c in middle] == [shas["introduce"], shas["docs"]]
    assert [c.sha for c in store.commits(repository_id, tags=["fix"])] == [shas["fix"]]
    assert [c.sha for c in store.commits(repository_id, tags=["issue:7"])] == [shas["fix"]]
    assert {c.sha for c in store.commits(repository_id, tags=["bug_inducing"])} == {
        shas["root"], shas["introduce"]}
    assert store.bug_inducing(repository_id, known_before=everything[3].commit_time) == set()
    files = store.file_changes(repository_id, shas["fix"])
    assert [(f["path"], f["features"]["la"], f["features"]["ld"]) for f in files] == [
        ("calc/ops.py", 2, 2)]


def test_stats_and_cleanup_of_stale_versions(engine: Engine, builder: RepoBuilder) -> None:
    build_buggy_history(builder)
    repository_id = mine_repository(engine, SETTINGS, GitRepo(builder.path),
                                    name="calc").repository_id
    store = FeatureStore(engine)
    stats = store.stats(repository_id)
    assert (stats.commits, stats.file_changes, stats.fixes, stats.bug_inducing, stats.links,
            stats.stale_rows) == (4, 5, 1, 2, 2, 0)
    with engine.begin() as conn:
        conn.execute(update(Commit).where(Commit.position < 2).values(extractor_version=0))
    assert store.stats(repository_id).stale_rows == 2
    assert store.delete_stale_versions() == 2
    assert store.stats(repository_id).stale_rows == 0
    assert row_counts(engine)[:2] == (2, 2)


def test_feature_reads_go_through_the_redis_cache(engine: Engine, builder: RepoBuilder,
                                                   redis_url: str) -> None:
    shas = build_buggy_history(builder)
    repository_id = mine_repository(engine, SETTINGS, GitRepo(builder.path),
                                    name="calc").repository_id
    client = redis.Redis.from_url(redis_url)
    store = FeatureStore(engine, FeatureCache(client, ttl_seconds=60))
    features = store.commit_features(repository_id, shas["fix"])
    assert features is not None and features["fix"] == 1
    key = FeatureCache.key(repository_id, 1, shas["fix"])
    assert 0 < client.ttl(key) <= 60
    with engine.begin() as conn:
        conn.execute(update(Commit).where(Commit.sha == shas["fix"]).values(features={"x": 1}))
    assert store.commit_features(repository_id, shas["fix"]) == features
    client.delete(key)
    assert store.commit_features(repository_id, shas["fix"]) == {"x": 1}
    assert store.commit_features(repository_id, "0" * 40) is None


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    engine = create_store_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "head")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Commit)) == 0


def test_the_migrations_build_exactly_the_tables_the_code_declares(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata  # noqa: PLC0415
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    from app.storage.schema import Base  # noqa: PLC0415

    engine = open_store(database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_change_records_feed_coupling_across_renames(engine: Engine,
                                                     builder: RepoBuilder) -> None:
    shas = build_buggy_history(builder)
    builder.move("calc/ops.py", "calc/arith.py")
    builder.write("README.md", "# calc\n\nArithmetic.\n")
    builder.commit("Rename ops, update docs", author=("Bob", "bob@example.com"))
    repository_id = mine_repository(engine, SETTINGS, GitRepo(builder.path),
                                    name="calc").repository_id
    records = FeatureStore(engine).change_records(repository_id)
    assert [r.sha for r in records][:4] == [shas[k] for k in ("root", "introduce", "docs", "fix")]
    assert records[-1].author == "bob@example.com"
    assert {(t.path, t.old_path, t.status) for t in records[-1].files} == {
        ("calc/arith.py", "calc/ops.py", "R"), ("README.md", None, "M")}
    rules = coupled_files(identify(records), ["calc/arith.py"], min_support=1)["calc/arith.py"]
    assert [(c.path, c.support) for c in rules] == [("README.md", 2)]
    assert FeatureStore(engine).change_records(repository_id, until=records[1].time) == records[:1]
