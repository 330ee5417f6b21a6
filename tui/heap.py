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

The first collection after a pause walks everything made during it (the
fleet's 2,000 sites: ~15-30 ms, just before the table is drawn). The
console's first load, of the fleet, continues its start-up, and what
start-up made lives as long as the process (``tui.app.settle_heap``): a
pause that ``settles`` moves what exists when it ends out of the
collector's reach (``gc.freeze``) instead. Reference counting still frees
all of it that is acyclic (the sites a reload replaces, their rows); the
price is that cycles among it (a key bar rebuilt later, garbage made
during the pause) are never collected: once, at start-up, bounded.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_pauses = 0
"""Pauses in progress (with ``_settle``, this module's only state: the
collector is global)."""
_settle = False
"""A pause in progress settles (see the module)."""


@contextmanager
def collection_paused(*, settles: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block; ``settles``: what exists
    when the last pause ends is frozen (see the module)."""
    global _pauses, _settle
    if _pauses == 0 and not gc.isenabled():
        yield  # turned off by someone else: theirs to turn on
        return
    _pauses += 1
    _settle = _settle or settles
    gc.disable()
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0:
            if _settle:
                gc.freeze()
            _settle = False
            gc.enable()
