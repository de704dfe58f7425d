"""What a target is, and what a derived view is.

A **target** is one output format's writer: it renders each record on its own (``render``:
pure, picklable result, may run in a worker process), streams the results into its outputs
(``add``, in the main process) and then validates and atomically writes them (``finish``).

A **view** is something several targets derive from a record (the EPLAN part, the ETIM
classification): the engine computes it once per record and build, in the process that renders
the record, and hands it to every target that lists it in ``views``. A view may also claim a
key that must be unique across the build (the EPLAN part number): the engine keeps the claims
and leaves a record whose key is taken out of every target that uses the view.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from cae_export.core.problems import Problem, Report
from cae_export.pipeline.cache import FileMemo, PerPartIndex, per_part_digest
from cae_export.pipeline.executor import Executor
from cae_export.pipeline.options import BuildOptions
from cae_export.record import Record


@dataclass(frozen=True)
class Findings:
    """What a view has to say about one record (said once, whichever targets use the view)."""

    notes: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()


class View(ABC):
    """A per-record derivation shared by targets; only class methods (nothing per instance)."""

    name: ClassVar[str]
    # the record field a clash of claimed keys is reported on, and the check rule it breaks
    claim_field: ClassVar[str] = "item_number"
    clash_rule: ClassVar[str] = "record.duplicate"

    @classmethod
    def prepare(cls, options: BuildOptions) -> Any:
        """Per-build context computed once (e.g. a loaded ETIM model); passed to ``derive``."""
        return None

    @classmethod
    def announce(cls, context: Any, report: Report) -> None:
        """Say once per build what the view is working with (main process)."""
        return None

    @classmethod
    @abstractmethod
    def derive(cls, record: Record, options: BuildOptions, context: Any) -> Any:
        """The view of one record; raise RecordError for bad data."""

    @classmethod
    def claim(cls, value: Any) -> str | None:
        """A key that must be unique across the build, or None."""
        return None

    @classmethod
    def clash(cls, key: str, first: str) -> str:
        return f"{cls.name}: {key} is already used by item {first}"

    @classmethod
    def findings(cls, record: Record, value: Any) -> Findings:
        return Findings()

    @classmethod
    def facts(cls, record: Record, value: Any) -> Any:
        """What the quality report shows of the view (ETIM completeness), or None: a mapping
        whose ``findings`` (Problems) are for the targets using the view. Computed only when
        the build keeps a quality report (picklable)."""
        return None


Derived = dict[type[View], Any]


class Target(ABC):
    """One output format: a template folder, a schema and this bit of wiring."""

    name: ClassVar[str]
    summary: ClassVar[str]
    views: ClassVar[tuple[type[View], ...]] = ()
    # the files the target writes, as patterns relative to the output folder: a new set
    # replaces the files of the earlier one that match them
    output_files: ClassVar[tuple[str, ...]] = ()
    # whether it writes a change file in a build with ``--changes-since`` (only the added,
    # changed and removed records reach it); else it writes its full files as always
    change_form: ClassVar[bool] = False
    # the files it writes then (beside the full files, which a change build leaves alone)
    change_files: ClassVar[tuple[str, ...]] = ()
    # whether ``start_finish`` hands its files to worker processes (its ``finish`` waits)
    writes_in_workers: ClassVar[bool] = False

    @classmethod
    def files_of(cls, options: BuildOptions) -> tuple[str, ...]:
        """The patterns of the set this build writes: the change files in a change build."""
        if options.changes is not None and cls.change_form:
            return cls.change_files
        return cls.output_files

    def __init__(self, out_dir: Path, options: BuildOptions, report: Report, context: Any,
                 executor: Executor) -> None:
        self.out_dir = out_dir  # where the files go: the build's staging folder for the target
        self.options = options
        self.report = report
        self.context = context  # what ``prepare`` gave, once per build
        self.executor = executor
        # the output folder itself, where the earlier build's files are (set by the engine)
        self.output_root: Path | None = None
        # what the earlier build's whole files were made of (set by the engine; None: a
        # change build, whose files depend on OLD too)
        self.file_memo: FileMemo | None = None
        # this build's per-part files (relative name -> size, mtime, digest), for the next
        self.per_part: PerPartIndex = {}
        self._earlier_per_part: PerPartIndex | None = None

    def kept_files(self) -> frozenset[str]:
        """Files (relative to the output folder) of the earlier build that this one would
        write byte for byte and therefore leaves as they are."""
        return frozenset()

    def same_as_earlier(self, name: str, data: bytes) -> bool:
        """The earlier build's file ``name`` (relative to the output folder) is ``data``
        byte for byte: a per-part file that need not be written again. A file whose size and
        modification time are the ones the earlier build recorded with the digest of
        ``data`` is not read again (as ``make`` and ``rsync`` trust them); any other is
        compared byte for byte."""
        if self.output_root is None:
            return False
        earlier = self.output_root / name
        try:
            stat = earlier.stat()
            if stat.st_size != len(data):
                return False
            entry = (stat.st_size, stat.st_mtime_ns, per_part_digest(data))
            if self._earlier_index().get(name) != entry and earlier.read_bytes() != data:
                return False
        except OSError:
            return False
        self.per_part[name] = entry
        return True

    def wrote_per_part(self, name: str, data: bytes, stat: os.stat_result | None = None) -> None:
        """Per-part file ``name`` was written with ``data`` into the staging folder (a
        commit moves it into place with its modification time); ``stat``: its status, if the
        writer has it."""
        if stat is None:
            stat = (self.out_dir / name).stat()
        self.per_part[name] = (stat.st_size, stat.st_mtime_ns, per_part_digest(data))

    def _earlier_index(self) -> PerPartIndex:
        if self._earlier_per_part is None:
            memo = self.file_memo
            self._earlier_per_part = memo.per_part_index(self.name) if memo is not None else {}
        return self._earlier_per_part

    def keep_per_part_index(self) -> None:
        """After the commit: what this build's per-part files are, for the next build."""
        if self.file_memo is not None and self.per_part:
            self.file_memo.keep_per_part_index(self.name, self.per_part)

    @classmethod
    def prepare(cls, options: BuildOptions) -> Any:
        """Per-build context computed once (e.g. a sheet layout); passed to ``render``."""
        return None

    @classmethod
    def announce(cls, context: Any, report: Report) -> bool:
        """Report once what ``prepare`` found in the user's side inputs; False leaves the
        target out of this build (its earlier files stay)."""
        return True

    @classmethod
    @abstractmethod
    def render(cls, record: Record, derived: Derived, options: BuildOptions, context: Any) -> Any:
        """Turn one record (and the views it asked for) into this target's fragment.
        Raise RecordError for bad data."""

    @classmethod
    def checks(cls, record: Record, context: Any) -> tuple[Problem, ...]:
        """The quality report's findings on what this target (or its receiver) needs of the
        record beyond what ``render`` refuses: warnings and infos, each with its rule id."""
        return ()

    @abstractmethod
    def add(self, record: Record, rendered: Any) -> None:
        """Stream one rendered fragment into the outputs."""

    def start_finish(self) -> None:  # noqa: B027 - optional hook
        """Start output work that may run in worker processes while the other targets
        finish (called for every target before the first ``finish``)."""

    @abstractmethod
    def finish(self) -> int:
        """Validate and atomically write the outputs; return how many files were written."""

    def abort(self) -> None:  # noqa: B027 - optional hook
        """Remove temporary files after a failure."""
