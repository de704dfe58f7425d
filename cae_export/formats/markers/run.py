"""One marking run: read the job files, look the parts up in the catalog, write the outputs."""

from __future__ import annotations

from pathlib import Path

from cae_export.catalog import iter_catalog
from cae_export.core.outputs import FileSet, OutputFolder
from cae_export.core.problems import OutputInvalid, Problem, Report
from cae_export.formats.markers.cards import CardTable
from cae_export.formats.markers.generate import consolidate, job_markers
from cae_export.formats.markers.job import read_job
from cae_export.formats.markers.layout import groups_of
from cae_export.formats.markers.output import MARKER_FILES, card_notes, write_outputs
from cae_export.record import Record


def catalog_index(catalog: Path, wanted: set[str], report: Report) -> dict[str, Record]:
    """The records the job needs, by item number (streamed: the catalog may be large).

    A record that does not load is reported as a warning: it only matters if the job uses it,
    and then the job line reports the unknown item number as an error.
    """
    records: dict[str, Record] = {}
    for item in iter_catalog(catalog):
        if isinstance(item, Problem):
            report.error(Problem(item.message, file=item.file, record=item.record,
                                 field=item.field, line=item.line, severity="warning"))
        elif item.item_number in wanted:
            records.setdefault(item.item_number, item)
    return records


def run_jobs(job_files: list[Path], catalog: Path, out_dir: Path, report: Report,
             cards: CardTable | None = None, *, allow_formula_text: bool = False) -> list[Path]:
    """Produce markers.csv/.xlsx/.pdf/.svg for the jobs; every bad line lands in ``report``."""
    cards = cards or CardTable.load()
    jobs = [read_job(path) for path in job_files]
    parts = [part for job in jobs for part in job.parts]
    problems: list[Problem] = [p for job in jobs for p in job.problems]
    records = catalog_index(catalog, {p.item_number for p in parts}, report)
    markers, failed = job_markers(parts, records, cards, problems,
                                  allow_formula_text=allow_formula_text)
    groups = groups_of(consolidate(markers))
    for problem in problems:
        report.error(problem)
    lines_read = sum(job.lines_read for job in jobs)
    report.records_failed += failed + (lines_read - len(parts))
    report.records_ok += len(parts) - failed
    report.notes.extend(card_notes(groups, cards))
    if not groups:
        report.notes.append("no markers were made, so the earlier marker files were kept")
        return []
    name = ", ".join(dict.fromkeys(job.name for job in jobs))
    with OutputFolder(out_dir) as folder:  # the four files replace the earlier set as a whole
        stage = folder.stage("markers")
        try:
            written = write_outputs(stage, groups, name, cards, report)
        except OutputInvalid as exc:
            report.error(OutputInvalid(folder.public(exc.path),
                                       [folder.public(d) for d in exc.details]).problem())
            return []
        report.files_written += folder.commit([FileSet("markers", stage, MARKER_FILES)])
    return [out_dir / path.relative_to(stage) for path in written]
