"""An output folder written safely: one build at a time, every temporary and spool file in one
work folder, and each target's files replaced as a whole set or not at all.

A build writes each target's files into ``OUT/.cae-export/work/stage/<target>/`` (the same
layout as ``OUT``). Only when every target has finished does one commit move the finished
sets into place, removing the files of a target's earlier set that the new set does not have
(EDZ packages of records that left the catalog, sheet pieces of a different split). A target
whose files failed, or that got no valid record, keeps its earlier set. The commit is
journalled first: a build killed in the middle of it is completed by the next one.

The work folder holds the build's temporary and spool files too (Python's ``tempfile``
default folder points there while the build runs, in its worker processes as well), so a
killed build leaves nothing anywhere else, and the next build into the folder removes it; a
build that ends, however it ends, removes it itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

STATE_DIR = ".cae-export"
JOURNAL = "commit.json"


class OutputBusy(OSError):
    """Another build is writing into the same output folder."""


@dataclass(frozen=True)
class FileSet:
    """What one target wrote: its staging folder and the patterns (relative to the output
    folder) its files match, so the files of its earlier set can be found."""

    name: str
    stage: Path
    patterns: Sequence[str]
    # files of the earlier set that are already what this set would write: they stay
    # untouched (not rewritten, not removed)
    keep: frozenset[str] = frozenset()


class OutputFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / STATE_DIR
        self.work = self.state / "work"
        self._lock: int | None = None
        self._previous_tempdir: str | None = None

    # the build's lifetime ---------------------------------------------------------------------
    def __enter__(self) -> OutputFolder:
        self.root.mkdir(parents=True, exist_ok=True)
        self._acquire()
        try:
            self.recover()
            shutil.rmtree(self.work, ignore_errors=True)  # what a killed build left
            self.temp_dir.mkdir(parents=True)
        except BaseException:
            self._release()
            raise
        self._previous_tempdir, tempfile.tempdir = tempfile.tempdir, str(self.temp_dir)
        return self

    def __exit__(self, *_exc: object) -> None:
        tempfile.tempdir = self._previous_tempdir
        shutil.rmtree(self.work, ignore_errors=True)
        with contextlib.suppress(OSError):  # only a pending journal keeps it
            self.state.rmdir()
        self._release()

    def _acquire(self) -> None:
        if fcntl is None:
            return
        self._lock = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            self._lock = None
            raise OutputBusy(0, "another build is writing into this folder", str(self.root)) \
                from None

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing releases the lock
            self._lock = None

    # where things go ------------------------------------------------------------------------
    @property
    def temp_dir(self) -> Path:
        return self.work / "tmp"

    def stage(self, name: str) -> Path:
        path = self.work / "stage" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def public(self, text: str) -> str:
        """``text`` (a file name, a message) with every staged file named as the user knows
        it: in the output folder, not in the staging one."""
        stages = re.escape(str(self.work / "stage") + os.sep) + r"[^" + re.escape(os.sep) + "]+"
        return re.sub(stages, lambda _m: str(self.root), text)

    # the commit ---------------------------------------------------------------------------------
    def commit(self, sets: Sequence[FileSet]) -> int:
        """Put every set in place of its earlier one; return how many files were written."""
        plan = [self._plan(file_set) for file_set in sets]
        journal = self.state / JOURNAL
        with _no_interrupt():
            journal.write_text(json.dumps(plan), encoding="utf-8")
            _apply(self.root, plan)
            journal.unlink()
        return sum(len(entry["moves"]) for entry in plan)

    def _plan(self, file_set: FileSet) -> dict[str, object]:
        new = sorted(str(p.relative_to(file_set.stage)) for p in file_set.stage.rglob("*")
                     if p.is_file())
        old = {str(p.relative_to(self.root)) for pattern in file_set.patterns
               for p in self.root.glob(pattern) if p.is_file()}
        return {"stage": str(file_set.stage.relative_to(self.root)), "moves": new,
                "removes": sorted(old - set(new) - file_set.keep)}

    def recover(self) -> None:
        """Finish a commit a killed build left half done."""
        journal = self.state / JOURNAL
        if not journal.is_file():
            return
        try:
            plan = json.loads(journal.read_text(encoding="utf-8"))
        except ValueError:  # torn before it was complete: nothing was moved yet
            plan = []
        _apply(self.root, plan)
        journal.unlink()


def _apply(root: Path, plan: list[dict]) -> None:
    for entry in plan:
        stage = root / entry["stage"]
        for rel in entry["moves"]:
            staged = stage / rel
            if staged.exists():  # not yet moved (a rerun of an interrupted commit)
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, root / rel)
        for rel in entry["removes"]:
            (root / rel).unlink(missing_ok=True)


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Ctrl-C waits for the commit (a second or two): it must not stop between two files."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to hold off
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = ["STATE_DIR", "FileSet", "OutputBusy", "OutputFolder"]
