"""The light whole-or-nothing writer of the build's many small files (EDZ packages)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cae_export.core.atomic import atomic_output, write_checked_bytes


def test_writes_the_bytes_whole_readable_by_all_and_gives_their_status(tmp_path: Path) -> None:
    path = tmp_path / "edz" / "WAGO.770-1324.edz"  # its folder does not exist yet
    status = write_checked_bytes(path, b"7z-bytes")
    assert path.read_bytes() == b"7z-bytes"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert (status.st_size, status.st_mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)
    assert os.listdir(path.parent) == [path.name]  # no temporary file left


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "part.edz"
    path.write_bytes(b"earlier")
    with pytest.raises(TypeError):
        write_checked_bytes(path, "text, not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"earlier"
    assert os.listdir(tmp_path) == ["part.edz"]


def test_an_unwritable_folder_is_an_error_naming_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "edz"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OSError) as caught:
        write_checked_bytes(blocker / "part.edz", b"data")
    assert caught.value.filename == str(blocker / "part.edz")


def test_every_writer_names_the_file_not_its_temporary_one(tmp_path: Path) -> None:
    blocker = tmp_path / "markers"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OSError) as caught, atomic_output(blocker / "markers.csv") as handle:
        handle.write(b"never written")
    assert caught.value.filename == str(blocker / "markers.csv")
    assert os.listdir(tmp_path) == ["markers"]
