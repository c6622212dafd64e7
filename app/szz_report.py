"""Explain a fix: its bug-inducing commits and the blamed lines, from the store or computed."""

from __future__ import annotations

from typing import Any

from analyzers.git import GitRepo, printable_path
from analyzers.szz import FixCommit, SzzOptions, find_bug_inducing
from app.settings import Settings
from app.storage.feature_store import FeatureStore


def _computed_links(repo: GitRepo, sha: str, settings: Settings) -> list[dict[str, Any]]:
    commit_time = int(repo.output(["show", "-s", "--format=%ct", sha]).strip())
    options = SzzOptions(max_fix_files=settings.szz_max_fix_files)
    return [{"inducing_sha": link.inducing_sha, "path": printable_path(link.path),
             "lines": [[b.fix_line, b.inducing_line, b.content] for b in link.lines],
             "known_at": link.known_at}
            for link in find_bug_inducing(repo, [FixCommit(sha, commit_time)], options)]


def szz_report(store: FeatureStore, repo: GitRepo, settings: Settings, fix_ref: str,
               name: str) -> dict[str, Any]:
    """The links of a fix as plain data: stored ones when the fix was mined, else computed."""
    sha = repo.resolve(fix_ref)
    repository_id = store.repository_id(name)
    if repository_id is not None and store.commit_features(repository_id, sha) is not None:
        source, links = "store", store.links_of_fix(repository_id, sha)
    else:
        source, links = "computed", _computed_links(repo, sha, settings)
    return {
        "fix": sha,
        "source": source,
        "bug_inducing": sorted({link["inducing_sha"] for link in links}),
        "links": [{"inducing_sha": link["inducing_sha"], "path": link["path"],
                   "known_at": link["known_at"],
                   "lines": [{"fix_line": a, "inducing_line": b, "content": c}
                             for a, b, c in link["lines"]]} for link in links],
    }


def szz_report_text(report: dict[str, Any]) -> str:
    """The report for a terminal: one block per link, the blamed lines indented."""
    where = "stored labels" if report["source"] == "store" else "computed now, not stored"
    count = len(report["bug_inducing"])
    out = [f"fix {report['fix']} ({where}): {count} bug-inducing commit{'s' * (count != 1)}"]
    for link in report["links"]:
        out.append(f"  {link['inducing_sha'][:12]}  {link['path']}")
        out += [f"      line {line['fix_line']} (line {line['inducing_line']} when written): "
                f"{line['content'].strip()[:100]}" for line in link["lines"]]
    return "\n".join(out)
