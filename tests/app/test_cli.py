"""The diffrisk command line: mine, szz, store, features, and every bad input."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from analyzers.catalogue import KAMEI_NAMES, catalogue_markdown
from app.cli import main
from app.export import CSV_COLUMNS
from app.storage.database import open_store
from app.storage.schema import Commit
from tests.gitbuild import RepoBuilder, build_buggy_history

ROOT = Path(__file__).resolve().parents[2]


def run(store_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", store_url, *args], env={})


def stored_commits(store_url: str) -> int:
    with open_store(store_url).connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Commit)) or 0)


def test_mine_writes_the_csv_of_the_issue(database_url: str, builder: RepoBuilder,
                                          tmp_path: Path) -> None:
    shas = build_buggy_history(builder)
    out = tmp_path / "features.csv"
    result = run(database_url, "mine", "--repo", str(builder.path), "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "mined 4 new commits" in result.stderr
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert CSV_COLUMNS[:16] == ("id", "date", *KAMEI_NAMES)
    assert [r["id"] for r in rows] == [shas[k] for k in ("root", "introduce", "docs", "fix")]
    assert [r["bug"] for r in rows] == ["1", "1", "0", "0"]
    fixed_at = rows[3]["date"]  # labels became known when the fix landed
    assert [r["bug_known_at"] for r in rows] == [fixed_at, fixed_at, "", ""]
    assert rows[3]["fix"] == "1" and rows[3]["la"] == "2" and rows[3]["ndev"] == "2"
    again = run(database_url, "mine", "--repo", str(builder.path))
    assert "mined 0 new commits" in again.stderr and stored_commits(database_url) == 4


def test_a_bare_mirror_mines_like_its_working_clone(sqlite_url: str, builder: RepoBuilder,
                                                   tmp_path: Path) -> None:
    build_buggy_history(builder)
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(builder.path), str(mirror)], check=True)
    for repo, out in ((builder.path, "clone.csv"), (mirror, "mirror.csv")):
        result = run(sqlite_url, "mine", "--repo", str(repo), "--output", str(tmp_path / out))
        assert result.exit_code == 0, result.output
    assert (tmp_path / "clone.csv").read_text() == (tmp_path / "mirror.csv").read_text()


def test_szz_explains_a_fix_from_the_store_and_computed(sqlite_url: str,
                                                        builder: RepoBuilder) -> None:
    shas = build_buggy_history(builder)
    computed = run(sqlite_url, "szz", "--repo", str(builder.path), "--fix", shas["fix"], "--json")
    assert computed.exit_code == 0, computed.output
    report = json.loads(computed.stdout)
    assert report["source"] == "computed"
    assert report["bug_inducing"] == sorted([shas["root"], shas["introduce"]])
    run(sqlite_url, "mine", "--repo", str(builder.path))
    stored = json.loads(run(sqlite_url, "szz", "--repo", str(builder.path), "--fix", "HEAD",
                            "--json").stdout)
    assert stored["source"] == "store" and stored["bug_inducing"] == report["bug_inducing"]
    lines = [line["content"] for link in stored["links"] for line in link["lines"]]
    assert sorted(lines) == ["    return a * b + 1", "    return a + b"]
    text = run(sqlite_url, "szz", "--repo", str(builder.path), "--fix", "HEAD").stdout
    assert "2 bug-inducing commits" in text and shas["introduce"][:12] in text


def test_szz_reads_features_through_redis_when_configured(sqlite_url: str, redis_url: str,
                                                         builder: RepoBuilder) -> None:
    build_buggy_history(builder)
    run(sqlite_url, "mine", "--repo", str(builder.path))
    result = run(sqlite_url, "--redis-url", redis_url, "szz", "--repo", str(builder.path),
                 "--fix", "HEAD", "--json")
    assert json.loads(result.stdout)["source"] == "store"
    keys = redis.Redis.from_url(redis_url, decode_responses=True).keys("diffrisk:features:*")
    assert [str(k).rsplit(":", 1)[1] for k in keys] == [builder.head()]


def test_bug_reports_mark_fixes_and_bound_candidates(sqlite_url: str, builder: RepoBuilder,
                                                     tmp_path: Path) -> None:
    builder.write("a.py", "x = 1\n")
    builder.commit("Start")
    builder.write("a.py", "x = 2\n")
    builder.commit("Change x")
    builder.write("a.py", "x = 3\n")
    builder.commit("Handle GH-12")
    reports = tmp_path / "bugs.csv"
    reports.write_text(f"id,opened_at\n12,{builder.clock - 86_400 - 3600}\n")
    result = run(sqlite_url, "mine", "--repo", str(builder.path), "--bug-reports", str(reports),
                 "--output", str(tmp_path / "f.csv"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "f.csv").open()))
    assert [r["fix"] for r in rows] == ["0", "0", "1"]
    assert [r["bug"] for r in rows] == ["0", "0", "0"]  # "Change x" came after the report


def test_store_stats_and_cleanup(sqlite_url: str, builder: RepoBuilder) -> None:
    build_buggy_history(builder)
    missing = run(sqlite_url, "store", "stats", "--repo", str(builder.path))
    assert missing.exit_code == 2 and "has not been mined" in missing.stderr
    run(sqlite_url, "mine", "--repo", str(builder.path))
    stats = json.loads(run(sqlite_url, "store", "stats", "--repo", str(builder.path),
                           "--json").stdout)
    assert (stats["commits"], stats["fixes"], stats["links"]) == (4, 1, 2)
    assert run(sqlite_url, "store", "cleanup").stdout == "removed 0 stale commits\n"


def test_features_catalogue_matches_docs() -> None:
    result = CliRunner().invoke(main, ["features"], env={})
    assert result.stdout == catalogue_markdown()
    assert (ROOT / "docs" / "features.md").read_text() == catalogue_markdown(), (
        "docs/features.md is stale: run `diffrisk features --output docs/features.md`")


def _shallow(builder: RepoBuilder, tmp_path: Path) -> Path:
    build_buggy_history(builder)
    target = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{builder.path}",
                    str(target)], check=True)
    return target


def _corrupt(builder: RepoBuilder, tmp_path: Path) -> Path:
    build_buggy_history(builder)
    tree = builder.git("rev-parse", "HEAD~2^{tree}").strip()
    (builder.path / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    return builder.path


def _no_fixes(builder: RepoBuilder, tmp_path: Path) -> Path:
    builder.write("a.txt", "1\n")
    builder.commit("Start")
    return builder.path


@pytest.mark.parametrize(("make", "extra", "message"), [
    (lambda b, t: t / "nowhere", [], "is not a directory"),
    (lambda b, t: t, [], "is not a git repository"),
    (lambda b, t: b.path, [], "has no commits yet"),
    (_shallow, [], "shallow clone.*git fetch --unshallow"),
    (lambda b, t: (build_buggy_history(b), b.path)[1], ["--rev", "v9"], "ref 'v9' not found"),
    (_corrupt, [], "may be corrupt.*git fsck"),
    (_no_fixes, [], "no bug-fix commits.*--allow-no-fixes"),
], ids=["missing-dir", "not-a-repo", "empty", "shallow", "missing-ref", "corrupt", "no-fixes"])
def test_bad_input_gives_one_line_and_stores_nothing(
        make: object, extra: list[str], message: str, sqlite_url: str, builder: RepoBuilder,
        tmp_path: Path) -> None:
    repo = make(builder, tmp_path)  # type: ignore[operator]
    out = tmp_path / "out.csv"
    result = run(sqlite_url, "mine", "--repo", str(repo), *extra, "--output", str(out))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert stored_commits(sqlite_url) == 0


def test_bad_settings_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["store", "cleanup"], env={"DIFFRISK_CACHE_TTL_SECONDS": "x"})
    assert result.exit_code == 2 and result.stderr.startswith("error: cache_ttl_seconds")


def test_unreachable_database_is_one_line(builder: RepoBuilder) -> None:
    build_buggy_history(builder)
    result = run("postgresql://nobody@127.0.0.1:1/none", "mine", "--repo", str(builder.path))
    assert result.exit_code == 2 and "check DATABASE_URL" in result.stderr
    assert result.stderr.count("\n") == 1
