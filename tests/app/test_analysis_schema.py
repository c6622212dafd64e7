"""The JSON form of an analysis follows its published schema, and the two cannot drift apart."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.reports.result import AnalysisResult, FileResult, result_json
from tests.report_samples import sample_result


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    """A validator of the schema shipped in the package."""
    text = resources.files("app").joinpath("reports", "analysis-1.0.schema.json").read_text()
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_a_result_validates(validator: Draft202012Validator) -> None:
    document = json.loads(json.dumps(result_json(sample_result(5))))
    assert list(validator.iter_errors(document)) == []


@pytest.mark.parametrize(("path", "value"), [
    (("gate", "conclusion"), "maybe"),
    (("risk", "level"), "extreme"),
    (("files", 0, "changed_lines", 0, "start"), 0),
    (("anomalies", 0, "kind"), "mystery"),
    (("schema_version",), "0.9"),
])
def test_broken_results_do_not(validator: Draft202012Validator, path: tuple[Any, ...],
                               value: Any) -> None:
    document = copy.deepcopy(result_json(sample_result(2)))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert list(validator.iter_errors(document))


def test_schema_requires_exactly_the_fields_the_code_writes() -> None:
    schema = json.loads(resources.files("app").joinpath(
        "reports", "analysis-1.0.schema.json").read_text())
    assert set(schema["required"]) == {"schema_version", *(f.name for f in
                                                           fields(AnalysisResult))}
    assert set(schema["$defs"]["file"]["required"]) == {f.name for f in fields(FileResult)}
