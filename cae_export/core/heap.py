"""Long-lived objects out of the garbage collector's way.

A build holds a large heap for as long as it runs: parsed schemas, compiled templates, mapping
tables, the ETIM model. Records pass through it as short-lived objects, and every full
collection the garbage collector makes walks the whole heap, the long-lived part included.
Profiled on a rebuild of 20,000 records, those walks took about a fifth of the time.
``gc.freeze`` moves what is alive now into a permanent generation that no collection walks;
those objects are still freed by reference counting when the last reference goes.

The main process of a parallel build, which only merges what the workers rendered, also makes
its young collections rarer: with the default threshold (700 allocations) they promote a
record's live objects into the older generations, whose collections walk them again. Not in a
process that renders: rendering leaves cyclic garbage that holds large buffers (the 7-Zip
compressors of the EDZ packages), and collected rarely it piled up to 670 MB for 2,000 EDZ
packages (122 MB with the default threshold).
"""

from __future__ import annotations

import gc

_settled = False  # whether this process froze its heap after its first record
# the merging process: a young collection after this many allocations, the older ones rarer
MERGING_THRESHOLDS = (100_000, 50, 1000)
DEFAULT_THRESHOLDS = gc.get_threshold()  # Python's: (700, 10, 10)


def settle(*, merging_only: bool) -> None:
    """Leave everything alive now out of later collections (after the build is prepared);
    ``merging_only``: this process renders no record (a parallel build's main process)."""
    gc.freeze()
    if merging_only:
        gc.set_threshold(*MERGING_THRESHOLDS)


def settle_worker() -> None:
    """In a worker process (forked from a settled main process): Python's thresholds."""
    gc.set_threshold(*DEFAULT_THRESHOLDS)


def settle_after_first_record() -> None:
    """In a process that renders records: once, after the first, when the lazily loaded
    schemas and templates are in (a worker forked after ``settle`` inherits its freeze)."""
    global _settled
    if not _settled:
        _settled = True
        gc.freeze()


__all__ = ["settle", "settle_after_first_record", "settle_worker"]
