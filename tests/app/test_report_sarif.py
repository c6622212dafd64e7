"""The SARIF 2.1.0 report: valid against the OASIS schema, on changed lines, ranked and bounded."""

from __future__ import annotations

import copy
import json
import math
import os
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import validators

from app.reports.result import AnalysisResult, FileResult, Finding, LineRange, Score
from app.reports.sarif import (
    BUG_RULE,
    GATE_RULE,
    RISK_RULE,
    render_sarif,
    tool_version,
    write_sarif,
)
from tests.report_samples import sample_result

SCHEMA = Path(__file__).parent.parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


@cache
def validator() -> Any:
    """A validator of the official SARIF 2.1.0 schema, of the draft the schema declares."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(log: dict[str, Any]) -> list[str]:
    """The schema's complaints about a log (empty when it is valid)."""
    return [error.message for error in validator().iter_errors(log)]


def results(log: dict[str, Any], rule_id: str | None = None) -> list[dict[str, Any]]:
    """The log's results, or those of one rule."""
    found: list[dict[str, Any]] = log["runs"][0]["results"]
    return [r for r in found if rule_id is None or r["ruleId"] == rule_id]


def uri(result: dict[str, Any]) -> str:
    """The repository-relative path a result sits on."""
    path: str = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return path


def region(result: dict[str, Any]) -> tuple[int, int]:
    """The result's start and end line."""
    found = result["locations"][0]["physicalLocation"]["region"]
    return found["startLine"], found["endLine"]


def with_removed_files() -> AnalysisResult:
    """The sample with 7 scored files plus a deleted one, and anomalies naming both kinds."""
    base = sample_result(files=7)
    deleted = FileResult("src/pkg/old.py", "D", 0, 80, Score(0.95, "high", ("deleted",)),
                         Score(0.9, "high"), ())
    anomalies = (*base.anomalies,
                 Finding("mass_deletion", "high", "80 lines deleted", ("src/pkg/old.py",)),
                 Finding("unusual_file_pattern", "medium", "rare extension",
                         ("assets/logo.png", "src/pkg/module_3.py", "src/pkg/module_3.py")))
    return replace(base, files=(*base.files, deleted), anomalies=anomalies)


def test_the_log_validates_against_the_official_schema() -> None:
    for result in (sample_result(), with_removed_files(), sample_result(conclusion="neutral"),
                   sample_result(files=0, conclusion="success")):
        log = render_sarif(result)
        assert errors(log) == []
        assert log["version"] == "2.1.0"
        assert json.loads(json.dumps(log, allow_nan=False)) == log


@pytest.mark.parametrize("break_it", [
    lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    .__setitem__("startLine", 0),
    lambda log: log["runs"][0]["results"][0].pop("message"),
    lambda log: log["runs"][0]["tool"]["driver"].pop("name"),
    lambda log: log.pop("version"),
    lambda log: log["runs"][0]["results"][0].__setitem__("level", "fatal"),
])
def test_the_schema_rejects_a_broken_log(break_it: Any) -> None:
    log = copy.deepcopy(render_sarif(sample_result()))
    break_it(log)
    assert errors(log) != []


def test_the_driver_names_diffrisk_its_version_and_one_rule_per_kind() -> None:
    driver = render_sarif(sample_result())["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("diffrisk", tool_version())
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert {RISK_RULE, BUG_RULE, GATE_RULE, "diffrisk/anomaly/large_commit",
            "diffrisk/anomaly/late_night"} <= set(ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in {"note", "warning", "error"}


def test_rule_indexes_point_at_their_rules() -> None:
    log = render_sarif(with_removed_files())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    for result in results(log):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_sit_on_the_first_changed_lines_of_changed_files() -> None:
    sample = with_removed_files()
    first = {f.path: f.changed_lines[0] for f in sample.files if f.changed_lines}
    log = render_sarif(sample)
    assert results(log)
    for result in results(log):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert uri(result) in first
        assert region(result) == (first[uri(result)].start, first[uri(result)].end)


def test_no_result_for_skipped_or_deleted_files() -> None:
    paths = {uri(result) for result in results(render_sarif(with_removed_files()))}
    assert "assets/logo.png" not in paths
    assert "src/pkg/old.py" not in paths


def test_no_result_for_deleted_or_skipped_files_even_with_lines_and_scores() -> None:
    sample = sample_result()
    risky = Score(0.99, "high", ("stale",))
    odd = (FileResult("src/gone.py", "D", 0, 9, risky, risky, (LineRange(1, 9),)),
           FileResult("dist/app.min.js", "M", 900, 0, risky, risky, (LineRange(1, 900),),
                      None, "generated"),
           FileResult("src/empty.py", "M", 0, 0, risky, risky, (LineRange(0, 0),)))
    finding = Finding("large_commit", "high", "big", tuple(f.path for f in odd))
    log = render_sarif(replace(sample, files=(*sample.files, *odd),
                               anomalies=(*sample.anomalies, finding)))
    paths = {uri(result) for result in results(log)}
    assert paths.isdisjoint(f.path for f in odd)
    assert errors(log) == []


def test_anomalies_with_paths_sit_on_each_named_changed_file_once() -> None:
    log = render_sarif(with_removed_files())
    assert [uri(r) for r in results(log, "diffrisk/anomaly/large_commit")] == [
        "src/pkg/module_0.py"]
    assert [uri(r) for r in results(log, "diffrisk/anomaly/unusual_file_pattern")] == [
        "src/pkg/module_3.py"]
    assert results(log, "diffrisk/anomaly/mass_deletion") == []
    assert results(log, "diffrisk/anomaly/late_night") == []  # it names no file
    assert [r["level"] for r in results(log, "diffrisk/anomaly/large_commit")] == ["error"]


def test_levels_follow_the_files_risk_levels() -> None:
    sample = with_removed_files()
    levels = {uri(r): r["level"] for r in results(render_sarif(sample), RISK_RULE)}
    expected = {"high": "error", "medium": "warning"}
    for file in sample.files:
        if file.risk is None or not file.changed_lines:
            continue
        assert levels.get(file.path) == expected.get(file.risk.level), file.path
    assert "src/pkg/module_6.py" not in levels  # its risk is low


def test_messages_give_the_score_and_its_top_factor_and_properties_the_numbers() -> None:
    sample = sample_result()
    file = sample.files[0]
    assert file.risk is not None and file.bug is not None
    (result,) = [r for r in results(render_sarif(sample), RISK_RULE) if uri(r) == file.path]
    assert f"{file.risk.value:.2f}" in result["message"]["text"]
    assert file.risk.factors[0] in result["message"]["text"]
    assert result["properties"] == {"risk": file.risk.value, "bug": file.bug.value}


def test_the_gate_result_follows_its_conclusion() -> None:
    failed = results(render_sarif(sample_result(conclusion="failure")), GATE_RULE)
    assert [(r["level"], uri(r)) for r in failed] == [("error", "src/pkg/module_0.py")]
    assert "risk 0.74 is at or above" in failed[0]["message"]["text"]
    neutral = results(render_sarif(sample_result(conclusion="neutral")), GATE_RULE)
    assert [r["level"] for r in neutral] == ["note"]
    assert results(render_sarif(sample_result(conclusion="success")), GATE_RULE) == []


def test_fingerprints_are_stable_across_runs_and_differ_between_files() -> None:
    first = render_sarif(with_removed_files())
    again = render_sarif(with_removed_files())
    prints = [r["partialFingerprints"] for r in results(first)]
    assert prints == [r["partialFingerprints"] for r in results(again)]
    values = [value for found in prints for value in found.values()]
    assert len(values) == len(set(values)) == len(results(first))
    moved = replace(sample_result(), files=tuple(
        replace(f, changed_lines=(LineRange(50, 60),)) if f.changed_lines else f
        for f in sample_result().files))
    assert ([r["partialFingerprints"] for r in results(render_sarif(moved))]
            == [r["partialFingerprints"] for r in results(render_sarif(sample_result()))])


def test_max_results_is_honoured_and_keeps_the_riskiest() -> None:
    sample = with_removed_files()
    everything = results(render_sarif(sample))
    kept_log = render_sarif(sample, max_results=4)
    kept = results(kept_log)
    assert len(kept) == 4 < len(everything)
    assert kept == everything[:4]
    assert kept[0]["ruleId"] == GATE_RULE
    dropped = everything[4:]
    assert min(r["properties"]["risk"] for r in kept) >= max(
        r["properties"]["risk"] for r in dropped)
    assert kept_log["runs"][0]["properties"]["resultsTruncated"] is True
    assert errors(kept_log) == []
    assert results(render_sarif(sample, max_results=0)) == []
    with pytest.raises(ValueError, match="max_results"):
        render_sarif(sample, max_results=-1)


def test_results_are_ranked_riskiest_file_first() -> None:
    risks = [r["properties"]["risk"] for r in results(render_sarif(with_removed_files()))
             if r["ruleId"] != GATE_RULE]
    assert risks == sorted(risks, reverse=True)


def test_a_nan_score_stays_valid_json() -> None:
    sample = sample_result()
    first = sample.files[0]
    assert first.risk is not None
    nan_file = replace(first, risk=replace(first.risk, value=math.nan))
    log = render_sarif(replace(sample, files=(nan_file, *sample.files[1:])))
    json.dumps(log, allow_nan=False)
    assert errors(log) == []


def test_write_sarif_writes_the_log_atomically(tmp_path: Path) -> None:
    target = tmp_path / "diffrisk.sarif"
    target.write_text("old", encoding="utf-8")
    write_sarif(sample_result(), target)
    assert json.loads(target.read_text(encoding="utf-8")) == render_sarif(sample_result())
    assert [p.name for p in tmp_path.iterdir()] == ["diffrisk.sarif"]


def test_write_sarif_leaves_the_old_file_when_it_fails(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "diffrisk.sarif"
    target.write_text("old", encoding="utf-8")

    def fail(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_sarif(sample_result(), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["diffrisk.sarif"]
