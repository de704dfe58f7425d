"""Write-validate-rename: an invalid or half-written artifact never reaches its final path.

Whatever goes wrong is reported under the file's final name, never the temporary one: a
refused file (``OutputInvalid``) and a write error (``OSError``: disk full, no permission)
both name ``path``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from cae_export.core.problems import OutputInvalid

Validator = Callable[[Path], None]


@contextlib.contextmanager
def atomic_output(path: Path, validate: Validator | None = None, *, binary: bool = True,
                  encoding: str = "utf-8", newline: str | None = "") -> Iterator[IO]:
    """Yield a temporary file next to ``path``; on success validate it and rename it into place.

    ``validate`` receives the temporary path and raises to refuse the file. On any exception
    the temporary file is removed and the final path is left untouched.
    """
    tmp = temp_path_for(path)
    try:
        mode = "wb" if binary else "w"
        kwargs = {} if binary else {"encoding": encoding, "newline": newline}
        with tmp.open(mode, **kwargs) as handle:
            yield handle
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _raise_named(exc, tmp, path)
        raise
    finish_atomic(tmp, path, validate)


def finish_atomic(tmp: Path, path: Path, validate: Validator | None) -> None:
    """Validate an already written temporary file and move it to its final path."""
    try:
        if validate is not None:
            validate(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _raise_named(exc, tmp, path)
        raise


def temp_path_for(path: Path) -> Path:
    """A fresh temporary path next to ``path`` (for libraries that insist on writing by name)."""
    fd, tmp = _temp_file_beside(path)
    os.close(fd)
    return tmp


def _temp_file_beside(path: Path) -> tuple[int, Path]:
    """A new temporary file in ``path``'s folder (made on first use), open for writing; an
    error names ``path`` (mkstemp would name a random file)."""
    directory = os.path.dirname(path) or "."
    prefix = f".{os.path.basename(path)}."
    try:
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
        except FileNotFoundError:  # the first file of its folder
            os.makedirs(directory, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror or str(exc), str(path)) from None
    return fd, Path(tmp_name)


def write_checked_bytes(path: Path, data: bytes) -> os.stat_result:
    """``data``, already checked, to ``path`` whole or not at all (a temporary file beside it,
    then renamed); the new file's status. The light form of ``atomic_output`` for the many
    small files of a build (an EDZ package per part): one open, no second look."""
    fd, tmp = _temp_file_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), 0o644)
            handle.flush()
            status = os.fstat(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _raise_named(exc, tmp, path)
        raise
    return status


def write_validated(path: Path, produce: Callable[[Path], None], validate: Validator | None) -> Path:
    """Let ``produce`` write a temporary path, validate it, rename it to ``path``."""
    tmp = temp_path_for(path)
    try:
        produce(tmp)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        _raise_named(exc, tmp, path)
        raise
    finish_atomic(tmp, path, validate)
    return path


def _raise_named(exc: BaseException, tmp: Path, path: Path) -> None:
    """Raise ``exc`` again under the final name where it names the temporary file, or none."""
    if isinstance(exc, OutputInvalid) and exc.path != str(path):
        details = [d.replace(str(tmp), str(path)) for d in exc.details]
        raise OutputInvalid(str(path), details) from None
    if isinstance(exc, OSError) and exc.filename in (None, str(tmp), tmp):
        raise type(exc)(exc.errno, exc.strerror or str(exc), str(path)) from None
