"""paused_gc stops automatic collection inside its block only, and never turns collection on
for a caller that had turned it off."""

from __future__ import annotations

import gc

import pytest

from analyzers.gc_pause import paused_gc


def test_collection_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collection_is_restored_after_an_error() -> None:
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("inside")
    assert gc.isenabled()


def test_a_caller_that_disabled_collection_keeps_it_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
