"""Files a user asks for appear whole or not at all, readable as any new file would be (the
umask decides), keeping the mode of a file they replace."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.output_files import atomic_binary_file, atomic_text_file, process_umask
from app.reports.sarif import write_sarif
from tests.report_samples import sample_result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def umask_022() -> Iterator[None]:
    """Run with the usual umask 022 (the mask is read once per process)."""
    old = os.umask(0o022)
    process_umask.cache_clear()
    yield
    os.umask(old)
    process_umask.cache_clear()


@pytest.mark.usefixtures("umask_022")
def test_a_new_file_gets_the_umask_mode_and_a_replaced_file_keeps_its_own(
        tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.txt"
    with atomic_text_file(report) as handle:
        handle.write("é\n")
    assert report.read_text(encoding="utf-8") == "é\n" and mode(report) == 0o644
    report.chmod(0o640)
    with atomic_binary_file(report) as stream:
        stream.write(b"\x00\x01")
    assert report.read_bytes() == b"\x00\x01" and mode(report) == 0o640
    assert sorted(p.name for p in report.parent.iterdir()) == ["report.txt"]


@pytest.mark.usefixtures("umask_022")
def test_sarif_for_the_next_step_of_a_ci_job_is_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "diffrisk.sarif"
    write_sarif(sample_result(), target)
    assert mode(target) == 0o644


def test_a_private_umask_is_respected(tmp_path: Path) -> None:
    old = os.umask(0o077)
    process_umask.cache_clear()
    try:
        path = tmp_path / "private.csv"
        with atomic_text_file(path) as handle:
            handle.write("id\n")
        assert mode(path) == 0o600
    finally:
        os.umask(old)
        process_umask.cache_clear()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "risk.onnx"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_binary_file(path) as stream:
        stream.write(b"new, half")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["risk.onnx"]
