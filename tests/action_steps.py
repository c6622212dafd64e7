"""Runs a composite action's `run:` steps locally, the way the GitHub Actions runner does.

`run_action(action_dir, workspace, event_path)` reads action.yml, fills the inputs from their
defaults, and runs each `run:` step with `bash --noprofile --norc -eo pipefail` in the workspace,
with a realistic GITHUB_* environment and fresh GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and
GITHUB_STEP_SUMMARY files per step. Between steps it applies GITHUB_ENV and GITHUB_PATH as the
runner does; it parses each step's outputs (both `name=value` and heredoc forms), maps the action's
`outputs:` at the end, and parses annotation commands from stdout. The first failing step stops
the run. Over 1 MiB of step summary or over 10 annotations of one level in a step (what GitHub
drops) are listed in ActionRun.problems. `uses:` steps are not run: they are recorded, with the
outputs `uses_outputs` gives them.

`${{ … }}` expressions: context paths (github.*, inputs.*, runner.*, steps.<id>.outputs.*, env.*),
'string' literals and `||`. Anything else (functions, comparisons, unknown contexts, undeclared
inputs, unknown step ids, a github/runner value the harness was not given) raises ExpressionError
rather than being guessed; a missing step output, env variable or github.event field is '' as on
GitHub. Expressions in skipped `uses:` steps are never evaluated.

Replacing a step: `replace_steps={"install": "script"}` runs that script instead of the `run:` body
of the step with that id (its `env:` still applies). The real Action's tests use it to put the
project's existing virtualenv on the path instead of building one:
`replace_steps={"install": f'echo "{venv}/bin" >> "$GITHUB_PATH"'}`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
PATH_SEGMENT = r"[A-Za-z_][A-Za-z0-9_-]*"
CONTEXT_PATH = re.compile(rf"{PATH_SEGMENT}(?:\.{PATH_SEGMENT})*")
STRING_LITERAL = re.compile(r"'((?:[^']|'')*)'")
ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")
SUMMARY_LIMIT = 1024 * 1024
ANNOTATION_LIMIT = 10
LENIENT_CONTEXTS = ("env",)


class ExpressionError(ValueError):
    """An expression the harness cannot evaluate without guessing."""


@dataclass(frozen=True)
class AnnotationLine:
    """One annotation command a step printed, unescaped."""

    level: str
    properties: dict[str, str]
    message: str


@dataclass
class StepRun:
    """One step of the action: what ran, its exit code, output and files."""

    id: str | None
    name: str
    uses: str | None = None
    with_: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""


@dataclass
class ActionRun:
    """The whole run: its steps, the action's outputs, summary, annotations and problems."""

    steps: list[StepRun]
    outputs: dict[str, str]
    env: dict[str, str]
    path: list[str]
    annotations: list[AnnotationLine]
    problems: list[str]

    @property
    def summary(self) -> str:
        """Every step's job summary, in order, as the runner attaches them."""
        return "".join(step.summary for step in self.steps)

    @property
    def failed(self) -> bool:
        """Whether a step exited with a non-zero status."""
        return any(step.exit_code not in (None, 0) for step in self.steps)

    def step(self, step_id: str) -> StepRun:
        """The step with this id."""
        return next(s for s in self.steps if s.id == step_id)


def unescape_data(text: str) -> str:
    """The runner's unescaping of a command's message."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    """The runner's unescaping of a command's property value."""
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse_annotations(stdout: str) -> list[AnnotationLine]:
    """The annotation commands among a step's output lines."""
    found = []
    for line in stdout.splitlines():
        match = ANNOTATION.match(line)
        if match:
            level, props, message = match.groups()
            properties = dict(p.split("=", 1) for p in (props or "").split(",") if "=" in p)
            found.append(AnnotationLine(level, {k: unescape_property(v)
                                                for k, v in properties.items()},
                                        unescape_data(message)))
    return found


def parse_file_command(text: str) -> dict[str, str]:
    """The values of a GITHUB_OUTPUT or GITHUB_ENV file: `name=value` lines and heredocs."""
    lines = re.split(r"\r\n|\r|\n", text)
    values: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            values[line[:equals]] = line[equals + 1:]
            continue
        if heredoc < 0:
            raise ValueError(f"invalid file command line {line!r}")
        name, delimiter = line[:heredoc], line[heredoc + 2:]
        try:
            end = lines.index(delimiter, index)
        except ValueError:
            raise ValueError(f"{name}: no line {delimiter!r} ends its value") from None
        values[name] = "\n".join(lines[index:end])
        index = end + 1
    return values


def as_text(value: Any) -> str:
    """An expression's value as the runner puts it into a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


def lookup(path: str, contexts: Mapping[str, Any]) -> Any:
    """The value of a context path such as steps.key.outputs.key."""
    root, *keys = path.split(".")
    if root not in contexts:
        raise ExpressionError(f"unknown context {root!r} in {path!r}")
    value = contexts[root]
    for depth, key in enumerate(keys):
        if isinstance(value, Mapping) and key in value:
            value = value[key]
            continue
        lenient = (root in LENIENT_CONTEXTS or (root == "github" and depth >= 1 and keys[0] ==
                                                "event") or (root == "steps" and depth >= 2))
        if lenient and (value is None or isinstance(value, Mapping)):
            return None
        raise ExpressionError(f"{path!r}: the harness has no {key!r} there")
    return value


def truthy(value: Any) -> bool:
    """Whether an expression value is truthy in GitHub's sense."""
    return value not in (None, "", 0, False)


def evaluate(expression: str, contexts: Mapping[str, Any]) -> Any:
    """The value of the inside of one `${{ … }}`: paths, 'strings' and `||`."""
    value: Any = None
    for operand in (part.strip() for part in expression.split("||")):
        literal = STRING_LITERAL.fullmatch(operand)
        if literal:
            value = literal.group(1).replace("''", "'")
        elif CONTEXT_PATH.fullmatch(operand):
            value = lookup(operand, contexts)
        else:
            raise ExpressionError(f"cannot evaluate {operand!r} in ${{{{{expression}}}}}")
        if truthy(value):
            return value
    return value


def substitute(text: str, contexts: Mapping[str, Any]) -> str:
    """The text with every `${{ … }}` replaced by its value."""
    return EXPRESSION.sub(lambda m: as_text(evaluate(m.group(1), contexts)), text)


def action_inputs(action: Mapping[str, Any], given: Mapping[str, str],
                  contexts: Mapping[str, Any]) -> dict[str, str]:
    """The inputs: given values, else the declared defaults (expressions evaluated)."""
    declared = action.get("inputs") or {}
    unknown = set(given) - set(declared)
    if unknown:
        raise ExpressionError(f"inputs not declared in action.yml: {', '.join(sorted(unknown))}")
    inputs = {}
    for name, spec in declared.items():
        if name in given:
            inputs[name] = given[name]
        elif (spec or {}).get("required") and "default" not in (spec or {}):
            raise ExpressionError(f"required input {name!r} was not given")
        else:
            inputs[name] = substitute(str((spec or {}).get("default", "")), contexts)
    return inputs


@dataclass
class Runner:
    """The state the runner carries between steps."""

    base_env: dict[str, str]
    contexts: dict[str, Any]
    files_dir: Path
    workspace: Path
    timeout: float
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    annotations: list[AnnotationLine] = field(default_factory=list)

    def step_env(self, step: Mapping[str, Any], files: Mapping[str, Path]) -> dict[str, str]:
        """A run step's environment: the runner's, GITHUB_ENV's, its files, then its `env:`."""
        self.contexts["env"] = {**self.base_env, **self.env}
        env = {**self.base_env, **self.env, **{k: str(v) for k, v in files.items()}}
        env["PATH"] = os.pathsep.join([*reversed(self.path), self.base_env["PATH"]])
        for name, value in (step.get("env") or {}).items():
            env[name] = substitute(as_text(value), self.contexts)
        return env

    def run_step(self, number: int, step: Mapping[str, Any], script: str) -> StepRun:
        """Run one `run:` step and take in its files."""
        run = StepRun(step.get("id"), step.get("name") or step.get("id") or f"step {number}")
        names = {"GITHUB_OUTPUT": "output", "GITHUB_ENV": "env", "GITHUB_PATH": "path",
                 "GITHUB_STEP_SUMMARY": "summary"}
        files = {var: self.files_dir / f"{stem}_{number}" for var, stem in names.items()}
        for path in files.values():
            path.write_text("")
        env = self.step_env(step, files)
        if step.get("shell") != "bash":
            raise ExpressionError(f"{run.name}: the harness runs shell: bash steps only")
        body = self.files_dir / f"step_{number}.sh"
        body.write_text(substitute(script, self.contexts))
        cwd = self.workspace / substitute(str(step.get("working-directory", ".")), self.contexts)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(body)],
                              cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=self.timeout, check=False)
        run.exit_code, run.stdout, run.stderr = done.returncode, done.stdout, done.stderr
        self.take_files(run, files)
        found = parse_annotations(done.stdout)
        for level in {a.level for a in found}:
            if sum(a.level == level for a in found) > ANNOTATION_LIMIT:
                self.problems.append(f"{run.name}: over {ANNOTATION_LIMIT} {level} annotations; "
                                     "GitHub shows only the first")
        self.annotations += found
        return run

    def take_files(self, run: StepRun, files: Mapping[str, Path]) -> None:
        """Read a step's outputs, environment, path and summary files, as the runner does."""
        run.outputs = parse_file_command(files["GITHUB_OUTPUT"].read_text())
        self.env.update(parse_file_command(files["GITHUB_ENV"].read_text()))
        for line in files["GITHUB_PATH"].read_text().splitlines():
            if line.strip():
                self.path = [p for p in self.path if p != line] + [line]
        summary = files["GITHUB_STEP_SUMMARY"].read_bytes()
        if len(summary) > SUMMARY_LIMIT:
            self.problems.append(f"{run.name}: step summary of {len(summary):,} bytes is over "
                                 "1 MiB; the runner would drop it")
        else:
            run.summary = summary.decode("utf-8")
        if run.id:
            self.contexts["steps"][run.id] = {"outputs": run.outputs}


def base_environment(workspace: Path, temp: Path, action_dir: Path, event: Mapping[str, Any],
                     github: Mapping[str, Any], extra_env: Mapping[str, str]) -> dict[str, str]:
    """The environment the runner gives every step."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update({
        "CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux", "RUNNER_TEMP": str(temp),
        "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTION_PATH": str(action_dir),
        "GITHUB_EVENT_PATH": str(github["event_path"]), "GITHUB_EVENT_NAME": github["event_name"],
        "GITHUB_REPOSITORY": github["repository"], "GITHUB_SHA": github["sha"],
        "GITHUB_REF": github["ref"], "GITHUB_API_URL": github["api_url"],
        "GITHUB_SERVER_URL": github["server_url"], "GITHUB_RUN_ID": "1",
        "GITHUB_RUN_ATTEMPT": "1", "GITHUB_JOB": "diffrisk", "GITHUB_ACTOR": "octocat",
        "GITHUB_REPOSITORY_OWNER": github["repository"].split("/")[0],
    })
    if event.get("pull_request"):
        env["GITHUB_HEAD_REF"] = str(event["pull_request"]["head"]["ref"])
        env["GITHUB_BASE_REF"] = str(event["pull_request"]["base"]["ref"])
    return {**env, **extra_env}


def github_context(action_dir: Path, workspace: Path, event_path: Path, event_name: str,
                   event: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The github context: the event's repository and head, a test token, GitHub's URLs."""
    pull = event.get("pull_request") or {}
    context: dict[str, Any] = {
        "action_path": str(action_dir), "workspace": str(workspace),
        "event_path": str(event_path), "event_name": event_name, "event": event,
        "repository": (event.get("repository") or {}).get("full_name", "octo/demo"),
        "sha": (pull.get("head") or {}).get("sha", "0" * 40),
        "ref": f"refs/pull/{pull.get('number', 1)}/merge", "token": "ghs_harness_token",
        "api_url": "https://api.github.com", "server_url": "https://github.com",
    }
    return {**context, **overrides}


def run_action(action_dir: Path, workspace: Path, event_path: Path, temp: Path,
               event_name: str = "pull_request", inputs: Mapping[str, str] | None = None,
               replace_steps: Mapping[str, str] | None = None,
               uses_outputs: Mapping[str, Mapping[str, str]] | None = None,
               github: Mapping[str, Any] | None = None,
               extra_env: Mapping[str, str] | None = None, timeout: float = 600) -> ActionRun:
    """Run the composite action in action_dir on workspace; `temp` becomes RUNNER_TEMP."""
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    if (action.get("runs") or {}).get("using") != "composite":
        raise ExpressionError("the harness runs composite actions only")
    event = json.loads(event_path.read_text(encoding="utf-8"))
    gh = github_context(action_dir, workspace, event_path, event_name, event, github or {})
    contexts: dict[str, Any] = {"github": gh, "runner": {"temp": str(temp), "os": "Linux"},
                                "steps": {}, "env": {}}
    contexts["inputs"] = action_inputs(action, inputs or {}, contexts)
    files_dir = temp / "_runner_file_commands"
    files_dir.mkdir(parents=True, exist_ok=True)
    runner = Runner(base_environment(workspace, temp, action_dir, event, gh, extra_env or {}),
                    contexts, files_dir, workspace, timeout)
    steps = action["runs"].get("steps") or []
    contexts["steps"] = {s["id"]: {"outputs": {}} for s in steps if s.get("id")}
    replaced = dict(replace_steps or {})
    unknown = set(replaced) - {s.get("id") for s in steps if "run" in s}
    if unknown:
        raise ExpressionError(f"replace_steps names no run step: {', '.join(sorted(unknown))}")
    runs = []
    for number, step in enumerate(steps, start=1):
        if "uses" in step:
            given = dict((uses_outputs or {}).get(step.get("id") or "", {}))
            if step.get("id"):
                contexts["steps"][step["id"]] = {"outputs": given}
            runs.append(StepRun(step.get("id"), step.get("name") or step["uses"], step["uses"],
                                dict(step.get("with") or {}), outputs=given))
            continue
        if "if" in step:
            raise ExpressionError(f"step {number}: the harness does not evaluate `if:`")
        runs.append(runner.run_step(number, step, replaced.get(step.get("id"), step["run"])))
        if runs[-1].exit_code != 0:
            break
    outputs = {name: substitute(str(spec["value"]), contexts)
               for name, spec in (action.get("outputs") or {}).items()}
    return ActionRun(runs, outputs, runner.env, runner.path, runner.annotations, runner.problems)
