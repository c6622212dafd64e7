"""Python's cyclic garbage collector paused while a step allocates many objects that cannot
form cycles (parsed syntax trees): each collection the allocations trigger would otherwise
scan every object the process holds, which in a loaded analysis (the history, the models)
costs more than the step itself."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic cyclic collection inside the block; restored after it (also on error), and
    left alone when the caller had already disabled it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
