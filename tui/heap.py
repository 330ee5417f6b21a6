"""The console's dealings with Python's cyclic garbage collector.

Loading a big list makes objects by the ten thousand (a 5,000-camera site:
pydantic models, rows, cells), nearly all of them acyclic, freed by
reference counting, and alive as long as the screen. The collector counts
them as they are made and walks the young ones every 700: loading that
site ran ~130 collections, one of them full, 50-85 ms of a ~280 ms load on
two shared cores (measured with ``gc.callbacks``). While a list loads the
collector is paused; reference counting frees what it always frees, and
the cycles made meanwhile (Textual's messages, tasks) wait for the next
collection after it. A screen ends its pause once the frame that shows
the load is painted (``Pause``, ``DataScreen``): that next collection
walks everything the load made, and the operator need not wait for it.

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


class Pause:
    """One pause of the collector, from its making to ``end()`` (see the
    module): for a pause that outlives the block that started it (a
    screen's load, ended once the frame that shows it is painted)."""

    def __init__(self, *, settles: bool = False) -> None:
        global _pauses, _settle
        self._held = _pauses > 0 or gc.isenabled()
        """False: the collector was turned off by someone else, theirs to turn on."""
        self.ended = not self._held
        if self._held:
            _pauses += 1
            _settle = _settle or settles
            gc.disable()

    def end(self) -> None:
        """End this pause; the collector runs again when it was the last
        (having frozen what exists, when one of them settles). Calling it
        again does nothing."""
        global _pauses, _settle
        if self.ended:
            return
        self.ended = True
        _pauses -= 1
        if _pauses == 0:
            if _settle:
                gc.freeze()
            _settle = False
            gc.enable()


@contextmanager
def collection_paused(*, settles: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block; ``settles``: what exists
    when the last pause ends is frozen (see the module)."""
    pause = Pause(settles=settles)
    try:
        yield
    finally:
        pause.end()
