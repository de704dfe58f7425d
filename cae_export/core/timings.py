"""Where a build spends its time: a light per-phase stopwatch the driver and targets fill.

The build driver records ``prepare``, ``load`` (reading + schema-checking records), ``render``,
``add`` and ``finish``. Code inside those phases may time its own steps with the module-level
``measure("validate")`` (or ``"write"``): a phase opened inside another is recorded under the
joined name, e.g. ``render/validate`` or ``finish/write``, so a report can show both the
inclusive and the exclusive times. ``measure`` works in worker processes too: a parallel build
sends each chunk's timings back and sums them, so in a parallel build the phases add up to
CPU time across processes, not wall time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# The phases the driver fills, in the order a benchmark prints them.
DRIVER_PHASES = ("prepare", "load", "render", "add", "finish")

_active: Timings | None = None  # the Timings ``measure`` records into, in this process


@dataclass
class Timings:
    """Seconds per phase name; phases are created on first use."""

    seconds: dict[str, float] = field(default_factory=dict)
    _open: list[str] = field(default_factory=list, repr=False, compare=False)

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    def merge(self, other: dict[str, float]) -> None:
        for phase, seconds in other.items():
            self.add(phase, seconds)

    @contextlib.contextmanager
    def measure(self, phase: str) -> Iterator[None]:
        """Time a block; nested inside another measured block it is named ``outer/phase``."""
        name = f"{self._open[-1]}/{phase}" if self._open else phase
        self._open.append(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)
            self._open.pop()

    def get(self, phase: str) -> float:
        return self.seconds.get(phase, 0.0)


@contextlib.contextmanager
def active(timings: Timings) -> Iterator[Timings]:
    """Make ``timings`` the one ``measure`` records into while the block runs."""
    global _active
    previous, _active = _active, timings
    try:
        yield timings
    finally:
        _active = previous


@contextlib.contextmanager
def measure(phase: str) -> Iterator[None]:
    """Time a step of the running build (no-op outside a build): ``with measure("validate"):``."""
    if _active is None:
        yield
        return
    with _active.measure(phase):
        yield


def timings_of(report: Any) -> Timings:
    """The Timings travelling with a build's Report (created on first use).

    Kept beside the Report rather than in it so any Report instance works; targets reach it
    through ``self.report`` without a new constructor argument.
    """
    timings = getattr(report, "timings", None)
    if not isinstance(timings, Timings):
        timings = Timings()
        report.timings = timings
    return timings
