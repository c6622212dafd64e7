"""The per-repository gate configuration, `.github/diffrisk.yml`, parsed and checked.

```yaml
thresholds:            # a gating score that crosses its threshold fails the gate
  risk: 0.7            # 0–1: fails at or above
  bug: 0.8             # 0–1, the riskiest file within 30 days: fails at or above
  anomaly: 0.8         # −1..1: fails at or above
  impact: 8            # 0–10: fails at or above
  health: 3            # 0–10 (10 is healthy): fails at or below
gate: [risk, health]   # which scores can fail the gate; the others only inform
critical_paths:        # business criticality of paths: weighs their scores
  - path: "payments/*"
    criticality: high  # low 1.0, medium 1.25, high 1.5, critical 2.0
ignored_paths: ["docs/*", "*.md"]
comment_budget: 5      # review comments per run, 0–50
```

Every key is optional; the defaults are the values above except `critical_paths` and
`ignored_paths` (none). Patterns are shell-style (`fnmatch`): `*` matches any characters,
slashes included. The file is read from the base branch by the caller, so a pull request cannot
loosen its own gate.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONFIG_PATH = ".github/diffrisk.yml"
MAX_CONFIG_BYTES = 64 * 1024
MAX_PATTERNS = 500
MAX_COMMENT_BUDGET = 50
SCORES = ("risk", "bug", "anomaly", "impact", "health")
RANGES = {"risk": (0.0, 1.0), "bug": (0.0, 1.0), "anomaly": (-1.0, 1.0), "impact": (0.0, 10.0),
          "health": (0.0, 10.0)}
DEFAULT_THRESHOLDS = {"risk": 0.7, "bug": 0.8, "anomaly": 0.8, "impact": 8.0, "health": 3.0}
CRITICALITY = {"low": 1.0, "medium": 1.25, "high": 1.5, "critical": 2.0}
KEYS = ("thresholds", "gate", "critical_paths", "ignored_paths", "comment_budget")


class GateConfigError(ValueError):
    """A configuration that cannot be used (one line naming the key and what to write)."""


@dataclass(frozen=True)
class CriticalPath:
    """Paths matching a pattern, and how much their scores weigh."""

    pattern: str
    criticality: str

    @property
    def weight(self) -> float:
        """The multiplier the criticality stands for."""
        return CRITICALITY[self.criticality]


@dataclass(frozen=True)
class GateConfig:
    """Thresholds, which scores gate, critical and ignored paths, and the comment budget."""

    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    gate: tuple[str, ...] = ("risk", "health")
    critical_paths: tuple[CriticalPath, ...] = ()
    ignored_paths: tuple[str, ...] = ()
    comment_budget: int = 5

    def ignored(self, path: str) -> bool:
        """Whether a path is left out of the analysis."""
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.ignored_paths)

    def criticality(self, path: str) -> float:
        """The weight of the most critical pattern a path matches (1.0 when none)."""
        return max((c.weight for c in self.critical_paths
                    if fnmatch.fnmatchcase(path, c.pattern)), default=1.0)

    def fails(self, score: str, value: float) -> bool:
        """Whether a gating score's value fails the gate (health fails low, others high)."""
        if score not in self.gate:
            return False
        limit = self.thresholds[score]
        return value <= limit if score == "health" else value >= limit


def where(key: str) -> str:
    """The location prefix of an error message."""
    return f"{CONFIG_PATH}: {key}"


def number_in(key: str, value: Any, low: float, high: float) -> float:
    """A number within [low, high], or a clear error."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise GateConfigError(f"{where(key)} must be a number from {low:g} to {high:g}, "
                              f"not {value!r}")
    return float(value)


def parse_thresholds(value: Any) -> dict[str, float]:
    """The thresholds, defaults filled in."""
    if not isinstance(value, Mapping):
        raise GateConfigError(f"{where('thresholds')} must be a mapping of score: number")
    unknown = [k for k in value if k not in SCORES]
    if unknown:
        raise GateConfigError(f"{where('thresholds')}: unknown score {unknown[0]!r}; scores "
                              f"are {', '.join(SCORES)}")
    return {**DEFAULT_THRESHOLDS, **{k: number_in(f"thresholds.{k}", v, *RANGES[k])
                                     for k, v in value.items()}}


def string_list(key: str, value: Any) -> tuple[str, ...]:
    """A bounded list of non-empty strings."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(
            isinstance(v, str) and v for v in value):
        raise GateConfigError(f"{where(key)} must be a list of non-empty strings")
    if len(value) > MAX_PATTERNS:
        raise GateConfigError(f"{where(key)} has {len(value)} entries; at most {MAX_PATTERNS}")
    return tuple(value)


def parse_gate(value: Any) -> tuple[str, ...]:
    """The scores that gate."""
    names = string_list("gate", value)
    unknown = [n for n in names if n not in SCORES]
    if unknown:
        raise GateConfigError(f"{where('gate')}: unknown score {unknown[0]!r}; scores are "
                              f"{', '.join(SCORES)}")
    return names


def parse_critical_paths(value: Any) -> tuple[CriticalPath, ...]:
    """The critical path entries."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) > MAX_PATTERNS:
        raise GateConfigError(f"{where('critical_paths')} must be a list of at most "
                              f"{MAX_PATTERNS} {{path, criticality}} entries")
    entries = []
    for number, entry in enumerate(value, 1):
        if not isinstance(entry, Mapping) or set(entry) != {"path", "criticality"} or not (
                isinstance(entry["path"], str) and entry["path"]):
            raise GateConfigError(f"{where('critical_paths')} entry {number} must have exactly "
                                  "a path and a criticality")
        if entry["criticality"] not in CRITICALITY:
            raise GateConfigError(f"{where('critical_paths')} entry {number}: criticality must "
                                  f"be one of {', '.join(CRITICALITY)}, not "
                                  f"{entry['criticality']!r}")
        entries.append(CriticalPath(entry["path"], entry["criticality"]))
    return tuple(entries)


def parse_budget(value: Any) -> int:
    """The comment budget."""
    if isinstance(value, bool) or not isinstance(value, int) or not (
            0 <= value <= MAX_COMMENT_BUDGET):
        raise GateConfigError(f"{where('comment_budget')} must be a whole number from 0 to "
                              f"{MAX_COMMENT_BUDGET}, not {value!r}")
    return value


def parse_gate_config(text: str | None) -> GateConfig:
    """The configuration from the file's text (None: no file, the defaults)."""
    import yaml  # noqa: PLC0415  (only commands that read a gate need PyYAML)

    if text is None or not text.strip():
        return GateConfig()
    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise GateConfigError(f"{CONFIG_PATH} is larger than {MAX_CONFIG_BYTES // 1024} KiB")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise GateConfigError(f"{CONFIG_PATH} is not valid YAML{line}: "
                              f"{getattr(exc, 'problem', None) or exc}") from None
    if data is None:
        return GateConfig()
    if not isinstance(data, Mapping):
        raise GateConfigError(f"{CONFIG_PATH} must be a mapping with keys {', '.join(KEYS)}")
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        raise GateConfigError(f"{CONFIG_PATH}: unknown key {unknown[0]!r}; keys are "
                              f"{', '.join(KEYS)}")
    defaults = GateConfig()
    return GateConfig(
        parse_thresholds(data["thresholds"]) if "thresholds" in data else defaults.thresholds,
        parse_gate(data["gate"]) if "gate" in data else defaults.gate,
        parse_critical_paths(data["critical_paths"]) if "critical_paths" in data else (),
        string_list("ignored_paths", data["ignored_paths"]) if "ignored_paths" in data else (),
        parse_budget(data["comment_budget"]) if "comment_budget" in data
        else defaults.comment_budget)
