"""Spools: output parked on disk between a target's ``add`` and its ``finish``, so memory stays
flat however large the catalog. A spool is a named file, so a worker process can read it too."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

READ_CHUNK = 1 << 20
# one encoder for every row: json.dumps with options builds a new one per call
_encode_row = json.JSONEncoder(ensure_ascii=False).encode


class TextSpool:
    """Text written in pieces, read back in order."""

    def __init__(self, suffix: str = ".txt") -> None:
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by close()
            "w", encoding="utf-8", prefix="cae-export-spool-", suffix=suffix, delete=False)
        self.path = Path(self._file.name)
        # the file itself: a write through the wrapper costs an attribute lookup per call
        self._write = self._file.file.write

    def write(self, text: str) -> None:
        try:
            self._write(text)
        except OSError as exc:
            raise self._named(exc) from None

    def flush(self) -> None:
        """Make everything written so far readable through ``path``."""
        try:
            self._file.flush()
        except OSError as exc:
            raise self._named(exc) from None

    def _named(self, exc: OSError) -> OSError:
        """A write error (disk full) names the spool it hit."""
        return type(exc)(exc.errno, exc.strerror or str(exc), str(self.path))

    def chunks(self, size: int = READ_CHUNK) -> Iterator[str]:
        """What was written, in pieces of at most ``size`` characters."""
        self.flush()
        with self.path.open(encoding="utf-8") as handle:
            while chunk := handle.read(size):
                yield chunk

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


class RowSpool(TextSpool):
    """Table rows, one JSON array per line: int, float, bool, str and None come back as given."""

    def __init__(self) -> None:
        super().__init__(".jsonl")
        self.count = 0

    def add(self, row: Sequence[Any]) -> None:
        self.write(_encode_row(list(row)) + "\n")
        self.count += 1

    def add_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Several rows in one write (one record's)."""
        if rows:
            self.write("".join([_encode_row(list(row)) + "\n" for row in rows]))
            self.count += len(rows)

    def rows(self) -> Iterator[list[Any]]:
        self.flush()
        return read_spool(self.path)

    def spooled(self) -> SpooledRows:
        """The rows so far as a picklable iterable: a worker process can read them."""
        self.flush()
        return SpooledRows(self.path)


@dataclass(frozen=True)
class SpooledRows:
    """The rows of a flushed row spool, read afresh each time they are iterated."""

    path: Path

    def __iter__(self) -> Iterator[list[Any]]:
        return read_spool(self.path)


def read_spool(path: Path) -> Iterator[list[Any]]:
    """The rows of a flushed row spool, in the order they were added."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


__all__ = ["RowSpool", "SpooledRows", "TextSpool", "read_spool"]
