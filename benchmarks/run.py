"""Benchmark: every registered target on synthetic catalogs of growing size.

    python benchmarks/run.py [--sizes 1000,10000,100000] [--jobs 1,2] [--targets eplan,...]
                             [--imports eplan,etim-xchange,bmecat]
    python benchmarks/run.py --table RESULTS.json [MORE.json ...]

For each size it synthesises a catalog once (``cae-export synth``, cached under ``--work``;
smaller sizes are the first lines of the largest, since synthetic catalogs are prefix-stable),
then builds each target alone and all targets together in a fresh child process per run, and
prints one table row per run: records/s, wall time, peak RSS and the time split into load /
render / validate / write. It also times two bare lxml writers of the same EPLAN document and
prints the EPLAN target's time as a multiple of each: ``bare-eplan`` parses each JSON line
and writes its part (no templates, no validation), ``write-eplan`` takes the final ``<part>``
elements as given (built before its clock starts) and only writes them. With
``--imports`` it also times ``import`` of each named target's file (written once per size
from the same catalog) into a JSON Lines catalog: the rows ``import <target>``, one process,
records/s and peak RSS.

Time split: CPU seconds per phase summed over the build's processes (the main process and its
workers), so in a parallel run they add up to more than the wall time. ``load`` is reading and
schema-checking records, ``render`` the targets' per-record work without the validation inside
it, ``validate`` every schema check of an output (per fragment and of whole files), ``write``
the merging and writing (``add`` + ``finish``, also in the processes a target's ``finish``
may write its files in) without validation. Peak RSS is
the largest resident set of any single process of the run (main or worker).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]  # run from a plain checkout

ALL = "all"
BARE = "bare-eplan"
WRITE = "write-eplan"  # the final <part> elements as given, only written
IMPORT = "import "  # an import case: "import eplan"
# the file a target writes for one build, which its reader imports
IMPORT_SOURCES = {"eplan": "eplan/parts.xml", "etim-xchange": "etim/etim-xchange.json",
                  "bmecat": "bmecat/bmecat-etim.xml"}


# child side: one measured run per process -------------------------------------------------

def time_validation() -> None:
    """Book schema checks under ``validate`` wherever they run (file-level checks go through
    ``finish_atomic``; the EPLAN target also checks each part fragment as it renders it)."""
    from cae_export.core import atomic
    from cae_export.core.timings import measure

    finish_atomic = atomic.finish_atomic

    def timed_validator(validate: Any) -> Any:
        if validate is None:
            return None

        def run(path: Path) -> None:
            with measure("validate"):
                validate(path)
        return run

    atomic.finish_atomic = lambda tmp, path, validate: finish_atomic(tmp, path,
                                                                     timed_validator(validate))
    try:
        from cae_export.formats.eplan import view as parts
    except ImportError:  # no EPLAN target in this tree
        return
    validated_document = parts.validated_document

    def timed_document(count: int, fragment: str, part_number: str) -> bytes:
        with measure("validate"):
            return validated_document(count, fragment, part_number)
    parts.validated_document = timed_document


def child_build(catalog: Path, names: list[str], jobs: int, out: Path) -> dict[str, Any]:
    from cae_export.catalog import iter_pending
    from cae_export.core.problems import Report
    from cae_export.core.timings import timings_of
    from cae_export.pipeline import BuildOptions, run_build
    from cae_export.registry import TARGETS

    time_validation()
    report = Report()
    start = time.perf_counter()
    run_build(iter_pending(catalog), [TARGETS[n] for n in names], out, BuildOptions(jobs=jobs),
              report)
    wall = time.perf_counter() - start
    return {"wall": wall, "ok": report.records_ok, "failed": report.records_failed,
            "errors": len(report.errors), "phases": timings_of(report).seconds}


def child_bare(catalog: Path, out: Path) -> dict[str, Any]:
    from bare_eplan import records_unchecked, write_bare_document

    start = time.perf_counter()
    count = write_bare_document(records_unchecked(catalog), out / "parts.xml")
    return {"wall": time.perf_counter() - start, "ok": count, "failed": 0, "errors": 0,
            "phases": {}}


def child_write(catalog: Path, out: Path) -> dict[str, Any]:
    from bare_eplan import final_parts, records_unchecked, write_given_parts

    parts, addresses = final_parts(records_unchecked(catalog))  # given: not timed
    start = time.perf_counter()
    count = write_given_parts(parts, addresses, out / "parts.xml")
    return {"wall": time.perf_counter() - start, "ok": count, "failed": 0, "errors": 0,
            "phases": {}}


def child_import(source: Path, out: Path) -> dict[str, Any]:
    from cae_export.core.problems import Report
    from cae_export.pipeline.importer import import_files
    from cae_export.registry import READER_LIST

    report = Report()
    start = time.perf_counter()
    # into one JSON Lines catalog: the way to bring a large file in (a folder of YAML
    # records costs about four times as long)
    import_files([source], out / "imported.jsonl", READER_LIST, report)
    return {"wall": time.perf_counter() - start, "ok": report.records_ok,
            "failed": report.records_failed, "errors": len(report.errors), "phases": {}}


def child_main(args: argparse.Namespace) -> int:
    import resource

    out = Path(args.out)
    if args.case.startswith(IMPORT):
        result = child_import(Path(args.catalog), out)
    elif args.case == BARE:
        result = child_bare(Path(args.catalog), out)
    elif args.case == WRITE:
        result = child_write(Path(args.catalog), out)
    else:
        names = args.case.split(",")
        result = child_build(Path(args.catalog), names, args.child_jobs, out)
    result["rss_main_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["rss_workers_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps(result))
    return 0


# parent side ----------------------------------------------------------------------------

@dataclass
class Run:
    size: int
    case: str
    jobs: int
    wall: float
    ok: int
    failed: int
    rss_mb: float
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return (self.ok + self.failed) / self.wall if self.wall else 0.0

    def split(self) -> dict[str, float]:
        return split_phases(self.phases)


def split_phases(phases: dict[str, float]) -> dict[str, float]:
    """Inclusive nested timings -> exclusive load / render / validate / write."""
    def within(outer: str) -> float:
        return sum(v for k, v in phases.items()
                   if k.startswith(outer + "/") and k.endswith("/validate")
                   and "/validate/" not in k)
    validate = sum(v for k, v in phases.items()
                   if k.split("/")[-1] == "validate" and "validate" not in k.split("/")[:-1])
    return {
        "load": phases.get("load", 0.0) + phases.get("prepare", 0.0),
        "render": phases.get("render", 0.0) - within("render"),
        "validate": validate,
        # a finish that hands its files to worker processes waits for them (finish/wait);
        # their own time comes back as finish and is counted there instead
        "write": phases.get("add", 0.0) + phases.get("finish", 0.0) - within("add")
        - within("finish") - phases.get("finish/wait", 0.0),
    }


def measure_run(catalog: Path, case: str, jobs: int, size: int, work: Path) -> Run:
    """One fresh child process; its peak RSS from the kernel's accounting at exit."""
    out = Path(tempfile.mkdtemp(prefix="out-", dir=work))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", case, "--catalog",
               str(catalog), "--out", str(out), "--child-jobs", str(jobs)]
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=REPO)
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"run {case} (jobs {jobs}, {size} records) failed:\n"
                             f"{stderr.decode(errors='replace')[-3000:]}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    rss_kb = max(result["rss_main_kb"], result["rss_workers_kb"])
    return Run(size, case, jobs, result["wall"], result["ok"], result["failed"], rss_kb / 1024,
               result["phases"])


def synthetic_catalog(size: int, largest: int, seed: int, work: Path) -> Path:
    """The cached catalog of ``size`` records (the largest is synthesised once)."""
    path = work / f"catalog-seed{seed}-{size}.jsonl"
    if path.exists() and line_count(path) == size:
        return path
    full = work / f"catalog-seed{seed}-{largest}.jsonl"
    if not (full.exists() and line_count(full) == largest):
        log(f"synthesising {largest} records -> {full}")
        subprocess.run([sys.executable, "-m", "cae_export", "synth", "--count", str(largest),
                        "--seed", str(seed), "--out", str(full)], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL)
    if size != largest:
        with full.open("rb") as src, path.open("wb") as dst:
            for _ in range(size):
                dst.write(src.readline())
    return path


def import_source(catalog: Path, target: str, size: int, work: Path) -> Path:
    """The file ``target`` writes for ``catalog`` (built once per size, cached)."""
    out = work / f"import-{target}-{size}"
    path = out / IMPORT_SOURCES[target]
    if not path.exists():
        log(f"building the {target} file of {size:,} records to import")
        subprocess.run([sys.executable, "-m", "cae_export", "build", str(catalog), "--target",
                        target, "--out", str(out)], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fmt_seconds(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(runs: list[Run]) -> str:
    serial = {(r.size, r.case): r.wall for r in runs if r.jobs == 1}
    bare = {r.size: r.wall for r in runs if r.case == BARE}
    given = {r.size: r.wall for r in runs if r.case == WRITE}
    head = ("| records | target | jobs | records/s | wall s | peak RSS MB | load | render | "
            "validate | write | vs jobs 1 | vs bare | vs write |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in runs:
        split = r.split()
        speedup = serial.get((r.size, r.case))
        ratio = bare.get(r.size) if r.case == "eplan" else None
        floor = given.get(r.size) if r.case == "eplan" else None
        cells = [f"{r.size:,}", r.case, str(r.jobs), f"{r.rate:,.0f}", fmt_seconds(r.wall),
                 f"{r.rss_mb:.0f}",
                 *(fmt_seconds(split[k]) if r.case not in (BARE, WRITE)
                   and not r.case.startswith(IMPORT) else "-"
                   for k in ("load", "render", "validate", "write")),
                 f"{speedup / r.wall:.2f}x" if speedup and r.jobs > 1 else "-",
                 f"{r.wall / ratio:.2f}x" if ratio else "-",
                 f"{r.wall / floor:.1f}x" if floor else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores, Python {sys.version.split()[0]}, {sys.platform}"


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parent_main(args: argparse.Namespace) -> int:
    from cae_export.registry import TARGETS

    sizes = sorted(int(s.replace("_", "")) for s in parse_list(args.sizes))
    jobs_list = sorted({int(j) for j in parse_list(args.jobs)})
    names = list(TARGETS) if args.targets == ALL else parse_list(args.targets)
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        raise SystemExit(f"unknown target(s) {unknown}; registered: {', '.join(TARGETS)}")
    singles = [] if args.no_single else names
    cases = [*singles, *([",".join(names)] if len(names) > 1 and not args.no_all else [])]
    imports = parse_list(args.imports)
    unknown = [n for n in imports if n not in IMPORT_SOURCES]
    if unknown:
        raise SystemExit(f"no reader benchmark for {unknown}; known: {', '.join(IMPORT_SOURCES)}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for size in sizes:
        catalog = synthetic_catalog(size, sizes[-1], args.seed, work)
        plan = [(case, jobs) for case in cases for jobs in jobs_list]
        if "eplan" in names and not args.no_bare:
            # right after the EPLAN runs: the ratio should not depend on how the machine's
            # speed drifts over a long benchmark
            after = max((n for n, (case, _) in enumerate(plan) if case == "eplan"), default=-1)
            plan[after + 1:after + 1] = [(BARE, 1), (WRITE, 1)]
        for case, jobs in plan:
            log(f"{size:>9,} records  {ALL if ',' in case else case}  jobs {jobs} ...")
            run = measure_run(catalog, case, jobs, size, work)
            run.case = ALL if "," in case else case
            runs.append(run)
            save_results(runs, work)  # after every run: a long benchmark that stops keeps them
            log(f"{'':>9}  {run.wall:8.2f} s  {run.rate:8.0f} records/s  {run.rss_mb:6.0f} MB")
        for name in imports:
            source = import_source(catalog, name, size, work)
            log(f"{size:>9,} records  {IMPORT}{name} ...")
            run = measure_run(source, IMPORT + name, 1, size, work)
            runs.append(run)
            save_results(runs, work)
            log(f"{'':>9}  {run.wall:8.2f} s  {run.rate:8.0f} records/s  {run.rss_mb:6.0f} MB")
    print(f"\ncae-export benchmark ({machine()}; seed {args.seed})\n")
    print(table(runs))
    print(f"\nraw numbers: {save_results(runs, work)}")
    return 0


def save_results(runs: list[Run], work: Path) -> Path:
    results = work / "results.json"
    results.write_text(json.dumps([r.__dict__ for r in runs], indent=1), encoding="utf-8")
    return results


def merged_table(paths: list[Path]) -> int:
    """Print one table from saved ``results.json`` files: a later file's run replaces an
    earlier one of the same size, case and jobs (re-measure one target, keep the rest)."""
    runs: dict[tuple[int, str, int], Run] = {}
    for path in paths:
        for raw in json.loads(path.read_text(encoding="utf-8")):
            run = Run(**raw)
            runs[(run.size, run.case, run.jobs)] = run
    order = {case: n for n, case in enumerate(dict.fromkeys(r.case for r in runs.values()))}
    ordered = sorted(runs.values(), key=lambda r: (r.size, r.case.startswith(IMPORT),
                                                   r.case in (BARE, WRITE), r.case == ALL,
                                                   order[r.case], r.jobs))
    print(table(ordered))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="catalog sizes (default: 1000,10000,100000)")
    parser.add_argument("--jobs", default="1,2",
                        help="worker counts to run each case with (default: 1,2)")
    parser.add_argument("--targets", default=ALL,
                        help="comma-separated targets (default: every registered target)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic catalog seed")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "cae-export-bench"),
                        help="folder for the cached catalogs and scratch output "
                             "(default: cae-export-bench in the system's temp folder)")
    parser.add_argument("--no-all", action="store_true",
                        help="skip the run with all targets in one build")
    parser.add_argument("--no-single", action="store_true",
                        help="skip the runs of each target alone (only all targets together)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare EPLAN writer")
    parser.add_argument("--imports", default="",
                        help="also time importing these targets' files: "
                             + ", ".join(IMPORT_SOURCES) + " (default: none)")
    parser.add_argument("--table", nargs="+", type=Path, metavar="RESULTS",
                        help="only print the table of saved results.json files (later files "
                             "replace the same size/target/jobs of earlier ones)")
    parser.add_argument("--child", help=argparse.SUPPRESS, dest="case")
    parser.add_argument("--catalog", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--child-jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.table:
        return merged_table(args.table)
    return child_main(args) if args.case else parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
