"""What a target is, and the shared load -> render -> validate -> write path every target gets.

A target renders each record on its own (``render``: pure, picklable result, may run in a worker
process) and streams the results into its outputs (``add``), then validates and atomically
writes them (``finish``). A record that fails to render is reported and left out; the others
are still written.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from cae_export.problems import OutputInvalid, Problem, RecordError, Report
from cae_export.record import Record


@dataclass
class BuildOptions:
    """Settings of one build, shared by all targets (picklable: workers receive it)."""

    per_part: bool = False
    etim_model: Path | None = None
    jobs: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


class Target(ABC):
    """One output format: a template folder, a schema and this bit of wiring."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def __init__(self, out_dir: Path, options: BuildOptions, report: Report) -> None:
        self.out_dir = out_dir
        self.options = options
        self.report = report

    @classmethod
    def prepare(cls, options: BuildOptions) -> Any:
        """Per-build context computed once (e.g. a loaded ETIM model); passed to ``render``."""
        return None

    @classmethod
    @abstractmethod
    def render(cls, record: Record, options: BuildOptions, context: Any) -> Any:
        """Turn one record into this target's fragment. Raise RecordError for bad data."""

    @abstractmethod
    def add(self, record: Record, rendered: Any) -> None:
        """Stream one rendered fragment into the outputs."""

    @abstractmethod
    def finish(self) -> list[Path]:
        """Validate and atomically write the outputs; return the paths written."""

    def abort(self) -> None:  # noqa: B027 - optional hook
        """Remove temporary files after a failure."""


ProgressHook = Callable[[int], None]


def render_for_targets(record: Record, classes: list[type[Target]], options: BuildOptions,
                       contexts: list[Any]) -> list[Any | Problem]:
    """Render one record for every target; a failure becomes a Problem for that target only."""
    results: list[Any | Problem] = []
    for cls, context in zip(classes, contexts, strict=True):
        try:
            results.append(cls.render(record, options, context))
        except RecordError as exc:
            p = exc.problem
            results.append(Problem(f"{cls.name}: {p.message}", file=p.file or record.source or None,
                                   record=p.record or record.item_number, field=p.field, line=p.line))
    return results


def run_build(records: Iterable[Record | Problem], classes: list[type[Target]], out_dir: Path,
              options: BuildOptions, report: Report, progress: ProgressHook | None = None) -> None:
    """Drive every target over the catalog in one streaming pass."""
    contexts = [cls.prepare(options) for cls in classes]
    targets = [cls(out_dir, options, report) for cls in classes]
    try:
        for item in records:
            if progress:
                progress(1)
            if isinstance(item, Problem):
                report.error(item)
                report.records_failed += 1
                continue
            results = render_for_targets(item, classes, options, contexts)
            failed = False
            for target, result in zip(targets, results, strict=True):
                if isinstance(result, Problem):
                    report.error(result)
                    failed = True
                else:
                    target.add(item, result)
            if failed:
                report.records_failed += 1
            else:
                report.records_ok += 1
        for target in targets:
            try:
                report.written.extend(str(p) for p in target.finish())
            except OutputInvalid as exc:
                report.error(Problem(f"{target.name}: output refused: {'; '.join(exc.details[:5])}",
                                     file=exc.path))
    except BaseException:
        for target in targets:
            target.abort()
        raise
