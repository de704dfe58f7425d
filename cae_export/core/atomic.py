"""Write-validate-rename: an invalid or half-written artifact never reaches its final path."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

Validator = Callable[[Path], None]


@contextlib.contextmanager
def atomic_output(path: Path, validate: Validator | None = None, *, binary: bool = True,
                  encoding: str = "utf-8", newline: str | None = "") -> Iterator[IO]:
    """Yield a temporary file next to ``path``; on success validate it and rename it into place.

    ``validate`` receives the temporary path and raises to refuse the file. On any exception
    the temporary file is removed and the final path is left untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        mode = "wb" if binary else "w"
        kwargs = {} if binary else {"encoding": encoding, "newline": newline}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        finish_atomic(tmp, path, validate)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def finish_atomic(tmp: Path, path: Path, validate: Validator | None) -> None:
    """Validate an already written temporary file and move it to its final path."""
    try:
        if validate is not None:
            validate(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temp_path_for(path: Path) -> Path:
    """A fresh temporary path next to ``path`` (for libraries that insist on writing by name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp_name)


def write_validated(path: Path, produce: Callable[[Path], None], validate: Validator | None) -> Path:
    """Let ``produce`` write a temporary path, validate it, rename it to ``path``."""
    tmp = temp_path_for(path)
    try:
        produce(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finish_atomic(tmp, path, validate)
    return path
