"""The Action's workflow commands, runner files and event reading (app/action)."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import pytest

from app.action.event import EventError, PullRequestEvent, read_pull_request_event
from app.action.workflow import (
    SUMMARY_LIMIT,
    annotation_command,
    annotation_commands,
    escape_data,
    escape_property,
    output_lines,
    write_outputs,
    write_step_summary,
)
from app.reports.result import FileResult, Finding, LineRange, Score
from tests.action_steps import (
    parse_annotations,
    parse_file_command,
    unescape_data,
    unescape_property,
)
from tests.report_samples import file_result, sample_result

VENDORED_WEBHOOKS = Path(__file__).parents[1] / "fixtures" / "github" / "webhooks"
SHARED_WEBHOOKS = Path("/work/shared/github/webhook-examples")


def webhook_example(name: str) -> Path:
    """An official example payload: the vendored copy when there is one, else ../shared."""
    for directory in (VENDORED_WEBHOOKS, SHARED_WEBHOOKS):
        if (directory / name).is_file():
            return directory / name
    pytest.skip(f"no {name}: vendor GitHub's webhook examples into {VENDORED_WEBHOOKS}")


# Escaping: @actions/core command.ts


def test_escape_data_escapes_percent_first_then_line_breaks() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("%0A") == "%250A"
    assert escape_data("a:b,c") == "a:b,c"


def test_escape_property_also_escapes_colon_and_comma() -> None:
    assert escape_property("C:\\src,x%\n") == "C%3A\\src%2Cx%25%0A"


def test_escaping_round_trips_through_the_runners_unescaping() -> None:
    rng = random.Random(5)
    alphabet = ["%", "\r", "\n", ":", ",", "0", "A", "D", "2", "5", "C", "3", "é", "x"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert unescape_data(escape_data(text)) == text
        assert unescape_property(escape_property(text)) == text
        assert not {":", ",", "\n", "\r"} & set(escape_property(text))


# Annotations


def test_annotation_command_orders_and_escapes_its_properties() -> None:
    line = annotation_command("warning", "50% risk\nsplit it", file="src/a,b.py", line=3,
                              end_line=9, title="diffrisk: high")
    assert line == ("::warning file=src/a%2Cb.py,line=3,endLine=9,title=diffrisk%3A high"
                    "::50%25 risk%0Asplit it")
    assert annotation_command("notice", "plain") == "::notice::plain"


@pytest.mark.parametrize("kwargs", [{"level": "info"}, {"level": "error", "line": 0}])
def test_annotation_command_refuses_unknown_levels_and_lines(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"level|line"):
        annotation_command(kwargs.pop("level"), "message", **kwargs)


def test_annotations_of_the_sample_result() -> None:
    found = parse_annotations("\n".join(annotation_commands(sample_result())))
    assert [(a.level, a.properties.get("file"), a.properties.get("line")) for a in found] == [
        ("error", None, None),
        ("warning", "src/pkg/module_0.py", "3"),
        ("warning", "src/pkg/module_1.py", "3"),
        ("warning", "src/pkg/module_2.py", "3"),
        ("warning", "src/pkg/module_0.py", "3"),  # large_commit, on its first path
        ("notice", None, None),  # late_night names no file
    ]
    gate, first = found[0], found[1]
    assert gate.message == "risk 0.74 is at or above the threshold 0.70"
    assert gate.properties["title"] == "diffrisk gate: failure"
    assert first.properties["endLine"] == "9"
    assert first.properties["title"] == "diffrisk: high risk 0.90"
    assert first.message.startswith("Lines added is 40")
    assert "\nSplit the change" in first.message
    assert found[4].properties["title"] == "diffrisk anomaly: large_commit (high)"


def test_annotation_titles_are_escaped_on_the_command_line() -> None:
    commands = annotation_commands(sample_result())
    assert "title=diffrisk gate%3A failure::" in commands[0]
    assert all(c.count("::") == 2 for c in commands)


def test_annotations_levels_follow_risk_and_the_limit_keeps_the_first() -> None:
    result = sample_result(files=10, conclusion="success")
    levels = [a.level for a in parse_annotations("\n".join(annotation_commands(result, 50)))]
    # No gate annotation on success; 3 high files warn, 3 medium ones note, low ones give none.
    assert levels == ["warning"] * 3 + ["notice"] * 3 + ["warning", "notice"]
    assert annotation_commands(result, limit=4) == annotation_commands(result, 50)[:4]
    assert annotation_commands(result, limit=0) == []


def test_at_most_ten_annotations_of_one_level() -> None:
    high = Score(0.95, "high")
    files = tuple(dataclasses.replace(file_result(0), path=f"f{n}.py", risk=high)
                  for n in range(15))
    result = dataclasses.replace(sample_result(), files=files)
    levels = [a.level for a in parse_annotations("\n".join(annotation_commands(result, 30)))]
    assert levels.count("warning") == 10
    assert levels.count("error") == 1 and levels.count("notice") == 1


def test_neutral_gate_notes_and_files_without_lines_get_none() -> None:
    bare = FileResult("gone.py", "D", 0, 9, Score(0.9, "high"), None)
    result = dataclasses.replace(sample_result(conclusion="neutral"), files=(bare,),
                                 anomalies=(Finding("mass_deletion", "medium", "9 lines",
                                                    ("gone.py",)),))
    found = parse_annotations("\n".join(annotation_commands(result)))
    assert [a.level for a in found] == ["notice", "warning", "notice"]
    assert found[1].properties == {"file": "gone.py", "title": "diffrisk: high risk 0.90"}
    assert "line" not in found[2].properties


def test_single_line_ranges_have_no_end_line() -> None:
    one = dataclasses.replace(file_result(0), changed_lines=(LineRange(7, 7),))
    result = dataclasses.replace(sample_result(), files=(one,), anomalies=())
    found = parse_annotations("\n".join(annotation_commands(result)))
    assert found[1].properties["line"] == "7" and "endLine" not in found[1].properties


# The step summary


def multibyte_markdown(size: int) -> str:
    """Markdown of about `size` UTF-8 bytes whose lines mix one- to four-byte characters."""
    line = "| café | € 12 | 😀 risk | — |"
    count = size // (len(line.encode()) + 1) + 1
    return "\n".join(f"{line} {n}" for n in range(count))


def test_summary_is_cut_at_one_mib_on_a_line_end_with_valid_utf8(tmp_path: Path) -> None:
    markdown = multibyte_markdown(2 * SUMMARY_LIMIT)
    assert len(markdown.encode()) > 2 * SUMMARY_LIMIT
    target = tmp_path / "summary.md"
    written = write_step_summary(target, markdown, full_report="see diffrisk.sarif")
    data = target.read_bytes()
    assert written.cut and written.size == len(data) <= SUMMARY_LIMIT
    assert len(data) > SUMMARY_LIMIT - 1000  # nearly all the room is used
    text = data.decode("utf-8")  # raises if a character was cut
    head, note = text.rstrip("\n").rsplit("\n", 1)
    assert markdown.startswith(head.rstrip("\n") + "\n")
    assert note.startswith("> **Note:** this summary was cut") and "see diffrisk.sarif" in note
    assert "1 MiB" in note


def test_summary_within_the_limit_is_appended_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    written = write_step_summary(target, "## ✅ diffrisk\n\nall good")
    assert not written.cut
    assert target.read_text() == "earlier step\n## ✅ diffrisk\n\nall good\n"


def test_summary_counts_what_the_file_already_holds(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_bytes(b"x" * 600 + b"\n")
    written = write_step_summary(target, multibyte_markdown(2000), limit=1500)
    assert written.cut and target.stat().st_size <= 1500


def test_a_cut_inside_a_code_fence_closes_it(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    markdown = "# head\n```text\n" + "\n".join(f"line {n}" for n in range(500)) + "\n```\n"
    write_step_summary(target, markdown, limit=1200)
    lines = target.read_text().splitlines()
    assert sum(1 for line in lines if line.startswith("```")) == 2
    assert target.stat().st_size <= 1200


def test_a_summary_with_no_room_left_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_bytes(b"x" * 1000)
    with pytest.raises(ValueError, match="no room"):
        write_step_summary(target, "more text than fits", limit=1010)


# Outputs


OUTPUTS = {"risk": "0.74", "empty": "", "equation": "a=b<<c", "report": "line 1\nline 2",
           "trailing": "ends with a newline\n", "blank-lines": "\n\nx\n\n"}


def test_outputs_round_trip_through_the_runners_parsing(tmp_path: Path) -> None:
    target = tmp_path / "output"
    target.write_text("earlier=1\n")
    write_outputs(target, OUTPUTS)
    text = target.read_text()
    assert "risk=0.74\n" in text and "equation=a=b<<c\n" in text
    assert "report<<ghadelimiter_" in text
    assert parse_file_command(text) == {"earlier": "1", **OUTPUTS}


def test_each_heredoc_gets_its_own_delimiter() -> None:
    first, second = output_lines("a", "x\ny"), output_lines("a", "x\ny")
    assert first.split("\n")[0] != second.split("\n")[0]


def test_a_value_holding_the_delimiter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="delimiter"):
        write_outputs(tmp_path / "output", {"evil": "x\nghadelimiter_1\ny"},
                      delimiter="ghadelimiter_1")
    assert not (tmp_path / "output").exists() or not (tmp_path / "output").read_text()


@pytest.mark.parametrize("name", ["", "a=b", "x<<y", "with space", "1st"])
def test_bad_output_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="output name"):
        output_lines(name, "value")


# The event


def test_the_official_pull_request_opened_payload() -> None:
    event = read_pull_request_event(webhook_example("pull_request.opened.json"), "pull_request")
    assert event == PullRequestEvent(
        event_name="pull_request", repository="Codertocat/Hello-World", number=2,
        base_sha="f95f852bd8fca8fcc58a9a2d6c842781e32a215e", base_ref="master",
        head_sha=event.head_sha, head_ref="changes", fork=False, draft=False)
    assert len(event.head_sha) == 40


def payload_copy(tmp_path: Path, change: Any) -> Path:
    """The official payload, changed by `change`, in a file of its own."""
    payload = json.loads(webhook_example("pull_request.opened.json").read_text())
    change(payload)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


def test_a_head_in_another_repository_is_a_fork(tmp_path: Path) -> None:
    def fork(payload: dict[str, Any]) -> None:
        payload["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"
        payload["pull_request"]["draft"] = True

    event = read_pull_request_event(payload_copy(tmp_path, fork), "pull_request_target")
    assert event.fork and event.draft and event.event_name == "pull_request_target"


def test_a_deleted_head_repository_counts_as_a_fork(tmp_path: Path) -> None:
    def deleted(payload: dict[str, Any]) -> None:
        payload["pull_request"]["head"]["repo"] = None

    assert read_pull_request_event(payload_copy(tmp_path, deleted), "pull_request").fork


@pytest.mark.parametrize("name", ["push", "workflow_dispatch", ""])
def test_other_events_are_refused_in_one_line(name: str) -> None:
    with pytest.raises(EventError) as caught:
        read_pull_request_event(webhook_example("pull_request.opened.json"), name)
    message = str(caught.value)
    assert "pull_request or pull_request_target" in message and "\n" not in message


@pytest.mark.parametrize(("content", "match"), [
    ("{not json", "not valid JSON"), ("[1, 2]", "not a JSON object"),
    ('{"action": "opened"}', "has no pull_request"),
    ('{"pull_request": {"number": "2"}, "repository": {"full_name": "o/r"}}', "has no"),
])
def test_malformed_event_files_are_refused(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(content)
    with pytest.raises(EventError, match=match) as caught:
        read_pull_request_event(path, "pull_request")
    assert "\n" not in str(caught.value)


def test_a_wrongly_typed_field_is_named(tmp_path: Path) -> None:
    def text_number(payload: dict[str, Any]) -> None:
        payload["pull_request"]["number"] = "2"

    with pytest.raises(EventError, match=r"pull_request\.number should be a int"):
        read_pull_request_event(payload_copy(tmp_path, text_number), "pull_request")


def test_a_missing_event_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EventError, match="does not exist"):
        read_pull_request_event(tmp_path / "nope.json", "pull_request")
