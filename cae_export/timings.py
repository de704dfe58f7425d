"""Where a build spends its time: a light per-phase stopwatch the driver and targets fill.

The build driver records ``load`` (reading + schema-checking records), ``render``, ``add`` and
``finish``; a target may record its own phases (``validate``, ``write``) inside those with
``timings_of(report).measure("validate")``. In a parallel build ``load`` and ``render`` are
summed over the worker processes, so the phases can add up to more than the wall time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# The phases the driver fills, in the order a benchmark prints them.
DRIVER_PHASES = ("prepare", "load", "render", "add", "finish")


@dataclass
class Timings:
    """Seconds per phase name; phases are created on first use."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    def merge(self, other: dict[str, float]) -> None:
        for phase, seconds in other.items():
            self.add(phase, seconds)

    @contextlib.contextmanager
    def measure(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, time.perf_counter() - start)

    def get(self, phase: str) -> float:
        return self.seconds.get(phase, 0.0)


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
