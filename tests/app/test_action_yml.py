"""action.yml is a sound composite action, and the harness runs composite actions as GitHub does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_steps import ExpressionError, evaluate, run_action, substitute

ROOT = Path(__file__).parents[2]
OFFICIAL_EVENT = Path("/work/shared/github/webhook-examples/pull_request.opened.json")
VENDORED_EVENT = ROOT / "tests/fixtures/github/webhooks/pull_request.opened.json"
PINNED_USES = re.compile(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})")
STEP_OUTPUT = re.compile(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}")


def action() -> dict[str, Any]:
    """The project's action.yml."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return loaded


def event_file() -> Path:
    """The official pull_request.opened example payload."""
    for path in (VENDORED_EVENT, OFFICIAL_EVENT):
        if path.is_file():
            return path
    pytest.skip("no pull_request.opened.json example payload")


# action.yml


def test_action_yml_is_a_composite_action_with_the_required_keys() -> None:
    spec = action()
    assert spec["name"] and spec["description"]
    assert spec["branding"]["icon"] and spec["branding"]["color"]
    assert spec["runs"]["using"] == "composite"
    assert set(spec["inputs"]) == {"github-token", "advisory", "base", "python-version",
                                   "comment-budget", "sarif-file"}
    for name, value in spec["inputs"].items():
        assert value["description"], name
        assert isinstance(value.get("default", ""), str), name
    assert spec["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert spec["inputs"]["advisory"]["default"] == "false"
    assert spec["inputs"]["python-version"]["default"] == "3.11"
    assert spec["inputs"]["sarif-file"]["default"] == "diffrisk.sarif"


def test_every_output_is_wired_to_a_step_that_exists() -> None:
    spec = action()
    ids = {step.get("id") for step in spec["runs"]["steps"]}
    assert set(spec["outputs"]) == {"risk", "health", "conclusion", "sarif"}
    for name, output in spec["outputs"].items():
        match = STEP_OUTPUT.fullmatch(output["value"])
        assert match, f"{name}: {output['value']}"
        assert match.group(1) in ids and match.group(2) == name
        assert output["description"]


def test_no_expression_is_interpolated_into_a_run_script() -> None:
    for step in action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step["shell"] == "bash"
    inputs_in_env = [value for step in action()["runs"]["steps"]
                     for value in (step.get("env") or {}).values() if "inputs." in value]
    assert len(inputs_in_env) == 5


def test_uses_are_pinned_and_the_caches_cover_venv_and_store() -> None:
    steps = action()["runs"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert uses == ["actions/setup-python@v5", "actions/cache@v4", "actions/cache@v4"]
    assert all(PINNED_USES.fullmatch(u) for u in uses)
    venv_cache, store_cache = (s["with"] for s in steps if s.get("uses") == "actions/cache@v4")
    assert venv_cache["key"] == "${{ steps.key.outputs.key }}"
    assert "github.repository" in store_cache["key"] and "head.sha" in store_cache["key"]
    assert store_cache["restore-keys"].endswith("${{ github.repository }}-")
    scoring = next(s for s in steps if s.get("id") == "diffrisk")
    assert scoring["env"]["DIFFRISK_DATA_DIR"] == store_cache["path"]
    install = next(s for s in steps if s.get("id") == "install")
    assert install["env"]["GHA_DIFFRISK_VENV"] == venv_cache["path"]


def test_the_install_script_is_executable_and_passes_bash_syntax() -> None:
    script = ROOT / "scripts/action-install"
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)


# The real action.yml, with a stand-in for diffrisk


FAKE_DIFFRISK = """#!/usr/bin/env bash
# Stands in for `diffrisk action`: records what it was given, writes what the action maps.
set -euo pipefail
{ printf '%s\\n' "$@"; echo "--"; env | grep -E '^(INPUT_|GITHUB_TOKEN=|DIFFRISK_)' | sort; } \\
    >"$RUNNER_TEMP/diffrisk-call"
printf '%s\\n' risk=0.74 health=3.1 conclusion=failure "sarif=$INPUT_SARIF_FILE" >>"$GITHUB_OUTPUT"
echo "## diffrisk: failure" >>"$GITHUB_STEP_SUMMARY"
echo "::error title=diffrisk gate%3A failure::risk 0.74 is above 0.70"
[[ $INPUT_ADVISORY == true ]] && exit 0
exit 1
"""


def fake_install(bin_dir: Path) -> str:
    """A replacement install step that puts the stand-in diffrisk on the path."""
    bin_dir.mkdir()
    (bin_dir / "diffrisk").write_text(FAKE_DIFFRISK)
    (bin_dir / "diffrisk").chmod(0o755)
    return f'echo "{bin_dir}" >> "$GITHUB_PATH"'


def run_real_action(tmp_path: Path, inputs: dict[str, str]) -> Any:
    """The project's action.yml on an empty workspace, install replaced, diffrisk faked."""
    workspace, temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    temp.mkdir()
    return run_action(ROOT, workspace, event_file(), temp, inputs=inputs,
                      replace_steps={"install": fake_install(tmp_path / "bin")},
                      uses_outputs={"python": {"python-version": "3.11.9",
                                               "python-path": sys.executable}})


def test_the_real_action_passes_inputs_through_env_and_maps_outputs(tmp_path: Path) -> None:
    run = run_real_action(tmp_path, {"base": "main", "sarif-file": "out/x.sarif"})
    assert [s.id for s in run.steps] == ["python", "key", None, None, "install", "diffrisk"]
    assert run.step("key").outputs["key"].startswith("diffrisk-venv-v1-Linux-py3.11.9-")
    assert run.step("key").outputs["key"].startswith(run.step("key").outputs["restore"])
    assert run.failed and run.step("diffrisk").exit_code == 1
    assert run.outputs == {"risk": "0.74", "health": "3.1", "conclusion": "failure",
                           "sarif": "out/x.sarif"}
    call = (tmp_path / "runner-temp/diffrisk-call").read_text().splitlines()
    args, env = call[: call.index("--")], call[call.index("--") + 1:]
    workspace = str(tmp_path / "workspace")
    assert args == ["action", "--event", str(event_file()), "--repo", workspace,
                    "--sarif", "out/x.sarif", "--base", "main"]
    assert "GITHUB_TOKEN=ghs_harness_token" in env and "INPUT_ADVISORY=false" in env
    assert f"DIFFRISK_DATA_DIR={tmp_path / 'runner-temp'}/diffrisk-data" in env
    assert run.summary == "## diffrisk: failure\n"
    assert run.annotations[0].properties["title"] == "diffrisk gate: failure"


def test_the_real_action_in_advisory_mode_passes_and_omits_an_empty_base(
        tmp_path: Path) -> None:
    run = run_real_action(tmp_path, {"advisory": "true"})
    assert not run.failed
    args = (tmp_path / "runner-temp/diffrisk-call").read_text().split("--\n")[0].split()
    assert "--base" not in args and args[-1] == "diffrisk.sarif"


def test_the_install_script_leaves_an_up_to_date_virtualenv_alone(tmp_path: Path) -> None:
    key_run = run_real_action(tmp_path, {"advisory": "true"})
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").symlink_to(sys.executable)
    (venv / "bin/diffrisk").write_text("#!/bin/sh\n")
    (venv / "bin/diffrisk").chmod(0o755)
    (venv / ".diffrisk-action").write_text(key_run.step("key").outputs["key"].rsplit("-", 1)[1])
    path_file = tmp_path / "github_path"
    done = subprocess.run([str(ROOT / "scripts/action-install")], capture_output=True, text=True,
                          check=False, env={**os.environ, "GHA_DIFFRISK_VENV": str(venv),
                                            "GITHUB_PATH": str(path_file)})
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stderr
    assert path_file.read_text() == f"{venv}/bin\n"


# The harness on a composite action of our own


TINY_ACTION = """
name: tiny
description: exercises the harness
inputs:
  greeting: {description: what to say, default: hello}
  who: {description: whom, required: true}
outputs:
  said: {description: the sentence, value: "${{ steps.speak.outputs.said }}"}
  lines: {description: a multi-line value, value: "${{ steps.prepare.outputs.lines }}"}
  cached: {description: from a uses step, value: "${{ steps.cache.outputs.cache-hit }}"}
runs:
  using: composite
  steps:
    - id: cache
      uses: actions/cache@v4
      with: {path: x, key: "${{ hashFiles('x') }}"}
    - id: prepare
      shell: bash
      env: {WHO: "${{ inputs.who }}"}
      run: |
        mkdir -p tools
        printf '#!/bin/sh\\necho "tool says $1"\\n' > tools/shout && chmod +x tools/shout
        echo "$PWD/tools" >> "$GITHUB_PATH"
        echo "TARGET=$WHO" >> "$GITHUB_ENV"
        { echo "MULTI<<EOF"; echo "a"; echo "b"; echo "EOF"; } >> "$GITHUB_ENV"
        { echo "lines<<EOF"; echo "one"; echo "two"; echo "EOF"; } >> "$GITHUB_OUTPUT"
    - id: speak
      shell: bash
      env: {GREETING: "${{ inputs.greeting }}", ROOT: "${{ github.action_path }}"}
      run: |
        echo "said=$GREETING, $TARGET ($(shout "$MULTI" | tr '\\n' ' '))" >> "$GITHUB_OUTPUT"
        echo "### $GREETING" >> "$GITHUB_STEP_SUMMARY"
        echo "::warning file=a%2Cb.py,line=2::50%25 sure"
        [[ -f $ROOT/action.yml && $CI == true && -d $RUNNER_TEMP ]]
"""


def run_tiny(tmp_path: Path, action_text: str = TINY_ACTION, **kwargs: Any) -> Any:
    """The tiny action above, run by the harness in a temporary workspace."""
    action_dir, workspace, temp = tmp_path / "action", tmp_path / "ws", tmp_path / "temp"
    for directory in (action_dir, workspace, temp):
        directory.mkdir(exist_ok=True)
    (action_dir / "action.yml").write_text(action_text)
    return run_action(action_dir, workspace, event_file(), temp, **kwargs)


def test_the_harness_runs_a_composite_action_end_to_end(tmp_path: Path) -> None:
    run = run_tiny(tmp_path, inputs={"who": "world"}, uses_outputs={"cache": {"cache-hit": "x"}})
    assert not run.failed, [s.stderr for s in run.steps]
    assert run.outputs == {"said": "hello, world (tool says a b )", "lines": "one\ntwo",
                           "cached": "x"}
    assert run.env == {"TARGET": "world", "MULTI": "a\nb"}
    assert run.path == [str(tmp_path / "ws/tools")]
    assert run.summary == "### hello\n"
    assert [(a.level, a.properties, a.message) for a in run.annotations] == [
        ("warning", {"file": "a,b.py", "line": "2"}, "50% sure")]
    assert run.steps[0].uses == "actions/cache@v4" and run.steps[0].exit_code is None
    assert run.problems == []


def test_the_harness_lists_what_github_would_drop(tmp_path: Path) -> None:
    noisy = TINY_ACTION.replace(
        'echo "::warning file=a%2Cb.py,line=2::50%25 sure"',
        'for n in {1..11}; do echo "::notice::n $n"; done; head -c 1100000 /dev/zero | '
        'tr "\\0" x >> "$GITHUB_STEP_SUMMARY"')
    run = run_tiny(tmp_path, noisy, inputs={"who": "x"})
    assert not run.failed and len(run.annotations) == 11 and run.summary == ""
    assert [p.split(":")[0] for p in run.problems] == ["speak", "speak"]


def test_the_harness_stops_at_the_first_failing_step(tmp_path: Path) -> None:
    failing = TINY_ACTION.replace('mkdir -p tools', 'echo broken >&2; false')
    run = run_tiny(tmp_path, failing, inputs={"who": "x"})
    assert run.failed and [s.id for s in run.steps] == ["cache", "prepare"]
    assert run.steps[-1].stderr == "broken\n" and run.outputs["said"] == ""


def test_the_harness_replaces_a_step_by_id(tmp_path: Path) -> None:
    run = run_tiny(tmp_path, inputs={"who": "x"},
                   replace_steps={"speak": 'echo "said=$GREETING!" >> "$GITHUB_OUTPUT"'})
    assert run.outputs["said"] == "hello!"
    with pytest.raises(ExpressionError, match="names no run step"):
        run_tiny(tmp_path, inputs={"who": "x"}, replace_steps={"cache": "true"})


def test_the_harness_refuses_unknown_and_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(ExpressionError, match="required input 'who'"):
        run_tiny(tmp_path)
    with pytest.raises(ExpressionError, match="not declared"):
        run_tiny(tmp_path, inputs={"who": "x", "whom": "y"})


def test_expressions_it_cannot_evaluate_raise() -> None:
    contexts = {"inputs": {"a": ""}, "github": {"token": "t", "event": {}},
                "steps": {"s": {"outputs": {}}}, "env": {}}
    assert evaluate(" inputs.a || 'fallback' ", contexts) == "fallback"
    assert evaluate("github.event.pull_request.head.sha || github.token", contexts) == "t"
    assert substitute("${{ steps.s.outputs.none }}|${{ env.NOPE }}", contexts) == "|"
    for bad in ("hashFiles('x')", "inputs.a == 'b'", "secrets.TOKEN", "inputs.b",
                "github.run_number", "steps.other.outputs.x", "inputs.a && 'x'"):
        with pytest.raises(ExpressionError):
            evaluate(bad, contexts)
