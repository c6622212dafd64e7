"""`.github/diffrisk.yml`: defaults, every key, and one clear line for each kind of mistake."""

from __future__ import annotations

import pytest

from app.gate_config import DEFAULT_THRESHOLDS, GateConfig, GateConfigError, parse_gate_config

FULL = """
thresholds: {risk: 0.6, health: 4}
gate: [risk, anomaly, health]
critical_paths:
  - path: "payments/*"
    criticality: critical
  - path: "payments/legacy/*"
    criticality: low
ignored_paths: ["docs/*", "*.md"]
comment_budget: 3
"""


def test_no_file_or_an_empty_one_gives_the_documented_defaults() -> None:
    assert parse_gate_config(None) == GateConfig()
    assert parse_gate_config("# nothing\n") == GateConfig()
    defaults = GateConfig()
    assert dict(defaults.thresholds) == DEFAULT_THRESHOLDS
    assert defaults.gate == ("risk", "health") and defaults.comment_budget == 5


def test_every_key_is_read_and_used() -> None:
    config = parse_gate_config(FULL)
    assert config.thresholds["risk"] == 0.6 and config.thresholds["bug"] == 0.8
    assert config.ignored("docs/guide/setup.txt") and config.ignored("src/README.md")
    assert not config.ignored("src/app.py")
    assert config.criticality("payments/legacy/old.py") == 2.0
    assert config.criticality("src/app.py") == 1.0
    assert config.fails("risk", 0.6) and not config.fails("risk", 0.59)
    assert config.fails("health", 4.0) and not config.fails("health", 4.5)
    assert not config.fails("impact", 10.0), "impact does not gate here"
    assert config.comment_budget == 3


@pytest.mark.parametrize(("text", "message"), [
    ("thresholds: {risk: high}", "thresholds.risk must be a number from 0 to 1, not 'high'"),
    ("thresholds: {anomaly: -2}", "thresholds.anomaly must be a number from -1 to 1"),
    ("thresholds: {speed: 1}", "unknown score 'speed'"),
    ("gate: [risk, mood]", "gate: unknown score 'mood'"),
    ("gate: risk", "gate must be a list of non-empty strings"),
    ("critical_paths: [{path: a/*, criticality: extreme}]",
     "entry 1: criticality must be one of low, medium, high, critical, not 'extreme'"),
    ("critical_paths: [{path: a/*}]", "entry 1 must have exactly a path and a criticality"),
    ("comment_budget: 500", "comment_budget must be a whole number from 0 to 50, not 500"),
    ("comment_budget: true", "comment_budget must be a whole number"),
    ("colour: blue", "unknown key 'colour'; keys are thresholds, gate"),
    ("- just\n- a list", "must be a mapping with keys"),
    ("thresholds: {risk: 0.5\ngate: [", "is not valid YAML at line"),
    ("ignored_paths: [" + ", ".join(["x"] * 501) + "]", "has 501 entries; at most 500"),
    ("comment_budget: 1\n#" + "x" * 70_000, "larger than 64 KiB"),
])
def test_mistakes_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(GateConfigError) as raised:
        parse_gate_config(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith(".github/diffrisk.yml")
