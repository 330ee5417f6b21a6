"""The cyclic garbage collector, set for a long-running controller.

Python's default collects the youngest generation every 700 allocations
net of frees. Ingest validates a batch of 200 observations into some
thousands of objects that all stay alive until the batch is written, so
the default ran several collections per batch, each walking what had
survived the last; on the ingest benchmark that cost more than the
validation itself (bench/README.md, "The collector out of the way").
What the controller allocates is almost never cyclic (pydantic models,
tuples, rows), so collecting every 50,000 allocations loses nothing but
a little latency in freeing the rare cycle.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)
"""``gc.set_threshold`` while a controller runs: generation 0 every 50,000
allocations, generation 1 every 20 of those, generation 2 every 100 of
those (and, as always, only when it would see enough new objects)."""


def settle() -> tuple[int, int, int]:
    """After start-up: collect once, freeze what start-up loaded (it lives
    as long as the process, so no collection need walk it again), and set
    ``THRESHOLDS``. Returns the thresholds there were, for ``release``."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return before


def release(before: tuple[int, int, int]) -> None:
    """Undo ``settle`` (a controller stopping inside a longer-lived process,
    as in the tests)."""
    gc.set_threshold(*before)
    gc.unfreeze()
