"""Vendor the part of GitHub's REST description and webhook examples that diffrisk's tests use.

Reads ../shared/github/api.github.com.openapi.json (GitHub's official OpenAPI description) and
writes tests/fixtures/github/openapi-subset.json: only the operations in OPERATIONS, with every
component they reach through `$ref` (schemas, parameters, responses, headers), so the subset
validates standalone. `example`/`examples` keys are dropped to keep it small. Also copies
../shared/github/webhook-examples/*.json byte for byte (but the 4 MB index.json) into
tests/fixtures/github/webhooks/.

Run from the repository root, whenever OPERATIONS or the shared description changes:

    .venv/bin/python scripts/vendor_github.py [--shared DIR] [--out DIR]

(defaults: --shared ../shared/github --out tests/fixtures/github)

The output is deterministic (sorted keys, fixed indentation): re-running it changes nothing unless
its inputs changed.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "github"
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "github"
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("post", "/repos/{owner}/{repo}/check-runs"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/comments"),
    ("patch", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/commits"),
    ("get", "/repos/{owner}/{repo}"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    ("get", "/app/hook/deliveries"),
    ("post", "/app/hook/deliveries/{delivery_id}/attempts"),
    ("get", "/app"),
)
DROPPED_KEYS = frozenset({"example", "examples"})
SKIPPED_WEBHOOK_FILES = frozenset({"index.json"})
# Examples only index.json holds: (event, action) → the first example sent to an App installation.
INDEXED_EXAMPLES: tuple[tuple[str, str | None], ...] = (
    ("pull_request", "ready_for_review"),
    ("pull_request", "closed"),
    ("installation", "suspend"),
    ("installation", "unsuspend"),
    ("merge_group", "checks_requested"),
    ("push", None),
)


def strip(node: Any, in_properties: bool = False) -> Any:
    """The node without example keys (a property that is named `example` stays)."""
    if isinstance(node, dict):
        return {
            key: strip(value, key == "properties" and not in_properties)
            for key, value in node.items()
            if in_properties or key not in DROPPED_KEYS
        }
    if isinstance(node, list):
        return [strip(item) for item in node]
    return node


def refs_in(node: Any) -> list[str]:
    """Every `$ref` target inside the node."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def resolve(spec: dict[str, Any], ref: str) -> Any:
    """The node a local `#/...` reference points at."""
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, not {ref}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def subset(spec: dict[str, Any]) -> dict[str, Any]:
    """The description with only OPERATIONS and the components they reach."""
    paths: dict[str, Any] = {}
    for method, path in OPERATIONS:
        item = spec["paths"][path]
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k == "parameters"})
        kept[method] = strip(item[method])
    components: dict[str, dict[str, Any]] = {}
    pending = refs_in(paths)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        top, section, name = ref[2:].split("/", 2)
        if top != "components":
            raise ValueError(f"unexpected reference {ref}")
        node = strip(resolve(spec, ref))
        components.setdefault(section, {})[name] = node
        pending.extend(refs_in(node))
    return {
        "openapi": spec["openapi"],
        "info": {**spec["info"], "x-diffrisk": "subset written by scripts/vendor_github.py"},
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": components,
    }


def write_json(path: Path, data: Any) -> None:
    """Write data as sorted, indented JSON with a final newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def vendor(shared: Path, out: Path) -> list[Path]:
    """Write the subset and the webhook examples into out; the files written."""
    spec = json.loads((shared / "api.github.com.openapi.json").read_text(encoding="utf-8"))
    written = [out / "openapi-subset.json"]
    write_json(written[0], subset(spec))
    hooks = out / "webhooks"
    if hooks.exists():
        shutil.rmtree(hooks)
    for source in sorted((shared / "webhook-examples").glob("*.json")):
        if source.name in SKIPPED_WEBHOOK_FILES:
            continue
        written.append(hooks / source.name)
        hooks.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, written[-1])  # byte for byte: webhook tests sign these bytes
    written.extend(indexed_examples(shared / "webhook-examples" / "index.json", hooks))
    return written


def indexed_examples(index: Path, hooks: Path) -> list[Path]:
    """Write INDEXED_EXAMPLES from the index as <event>.<action>.json (push: push.json)."""
    events = {entry["name"]: entry for entry in json.loads(index.read_text(encoding="utf-8"))}
    written = []
    for event, action in INDEXED_EXAMPLES:
        example = next(x for x in events[event]["examples"]
                       if x.get("action") == action and "installation" in x)
        written.append(hooks / (f"{event}.{action}.json" if action else f"{event}.json"))
        write_json(written[-1], example)
    return written


def main() -> None:
    """Command line: vendor from --shared into --out and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    total = 0
    for path in vendor(args.shared, args.out):
        total += path.stat().st_size
        print(f"{path.stat().st_size:>9,}  {path}")
    print(f"{total:>9,}  total")


if __name__ == "__main__":
    main()
