"""The console's dealings with Python's cyclic garbage collector.

Loading a big list makes objects by the ten thousand (a 5,000-camera site:
pydantic models, rows, cells), nearly all of them acyclic, freed by
reference counting, and alive as long as the screen. The collector counts
them as they are made and walks the young ones every 700: loading that
site ran ~130 collections, one of them full, 50-85 ms of a ~280 ms load on
two shared cores (measured with ``gc.callbacks``). While a list loads the
collector is paused; reference counting frees what it always frees, and
the cycles made meanwhile (Textual's messages, tasks) wait for the next
collection after it.

The collector is the process's, so the pause is too: nested and
overlapping pauses (the fleet and a site loading at once) are counted, and
the collector runs again when the last one ends. A collector that someone
else turned off stays off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_pauses = 0
"""Pauses in progress (this module's only state: the collector is global)."""


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic collection inside the block (see the module)."""
    global _pauses
    if _pauses == 0 and not gc.isenabled():
        yield  # turned off by someone else: theirs to turn on
        return
    _pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0:
            gc.enable()
