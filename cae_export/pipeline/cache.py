"""The render cache of an output folder: a rebuild renders only the records whose content,
or whose environment (the program and its mapping data and templates, the options, the side
files, the targets), changed since an earlier build there.

Each rendered record is kept as one file, named by the digest of everything its rendering
depends on: the environment key, the record's source name and its text. A cache file is
written whole and then renamed into place, so its existence means the work it holds was
finished (a killed build leaves only finished work, which is right for any later build with
the same inputs); what it holds is the same a fresh render would give, because the name is a
digest of every input. After a build, files no build of the current catalog uses are removed.

Whole files that are made of many records (the marker sheet's pieces, the marker list) have a
``FileMemo``: what the file was made of (a digest of its inputs) and the digest of the bytes
that made. A rebuild whose inputs for the file are the same, with the earlier file still as
written, leaves that file as it is instead of drawing it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cae_export
from cae_export.catalog import PendingRecord

CACHE_DIR = "cache"  # inside the output folder's state folder (.cae-export)
MEMO_DIR = "files"  # beside it: one memo per whole file
PROGRAM_FILES = (".py", ".yaml", ".yml", ".json", ".xsd", ".j2", ".rng", ".csv", ".ttf")
VERSION = b"render-cache 2"
COMPRESSION = 1  # zlib's fastest level
# options that change where or whether records are rendered, never what they become
NOT_RENDERING = ("jobs", "changes", "clean", "dask_scheduler")


def _package_roots() -> list[Path]:
    package = Path(cae_export.__file__).resolve().parent
    roots = [package]
    templates = package.parent / "templates"
    roots.append(templates if templates.is_dir() else package / "templates")
    return [root for root in roots if root.is_dir()]


def _hash_path(digest: Any, path: Path) -> None:
    """A file's or a folder's bytes (every file in it, by relative name, in order)."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(file.relative_to(path)).encode("utf-8") + b"\0")
            digest.update(file.read_bytes())
    elif path.is_file():
        digest.update(path.read_bytes())
    else:
        digest.update(b"(missing)")


def environment_key(targets: Iterable[str], options: Any, *, quality: bool) -> bytes:
    """Everything besides the record that a record's rendering depends on (``quality``: the
    quality report's rules run too)."""
    digest = hashlib.blake2b(VERSION, digest_size=20)
    digest.update(cae_export.__version__.encode())
    for root in _package_roots():
        for file in sorted(p for p in root.rglob("*")
                           if p.is_file() and p.suffix in PROGRAM_FILES):
            digest.update(str(file.relative_to(root)).encode("utf-8") + b"\0")
            digest.update(file.read_bytes())
    digest.update(",".join(targets).encode() + bytes([quality]))
    settings = {k: v for k, v in vars(options).items() if k not in NOT_RENDERING}
    digest.update(repr(sorted(settings.items())).encode())
    for side in ("etim_model", "bmecat_header", "prices"):
        path = getattr(options, side, None)
        if path is not None:
            _hash_path(digest, Path(path))
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    return digest.digest()


@dataclass(frozen=True)
class RenderCache:
    """Where a build finds and keeps rendered records (picklable: workers use it too)."""

    root: str
    environment: bytes
    read: bool = True  # False: --clean, every record is rendered afresh

    def key(self, item: PendingRecord) -> str | None:
        """The cache name of one record: its environment, file and text (not its line in a
        JSON Lines file: a record that moved is still the same record; the problems it had
        are named at its new line when it is taken from the cache)."""
        digest = hashlib.blake2b(self.environment, digest_size=20)
        digest.update(item.file.encode("utf-8") + b"\0")
        if item.text is not None:
            digest.update(item.text.encode("utf-8"))
        else:
            try:
                digest.update(Path(item.file).read_bytes())
            except OSError:
                return None  # the loader will name the problem
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        return Path(self.root) / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> Any:
        pickled = self.get_pickled(key)
        if pickled is None:
            return None
        try:
            return pickle.loads(pickled)
        except Exception:  # a damaged cache file is a miss, never an error
            return None

    def get_pickled(self, key: str) -> bytes | None:
        """What ``get`` would unpickle (checked by zlib's checksum), or None: a worker hands
        this to the main process as it is instead of unpickling and pickling it again."""
        if not self.read:
            return None
        try:
            return zlib.decompress(self.path(key).read_bytes())
        except (OSError, zlib.error):  # a damaged cache file is a miss, never an error
            return None

    def put(self, key: str, value: Any) -> bytes:
        """Write whole, then rename: a cache file that exists is complete. The value as
        pickled (what ``get_pickled`` gives back), so a worker can send it on as it is."""
        pickled = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with contextlib.suppress(OSError):  # a full disk costs the cache, never the build
            _write_whole(self.path(key), zlib.compress(pickled, COMPRESSION))
        return pickled

    def collect(self, used: set[str]) -> int:
        """Remove every cache file no record of this build used (and stray temporary files);
        how many were removed."""
        removed = 0
        root = Path(self.root)
        if not root.is_dir():
            return 0
        for folder in root.iterdir():
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                name = entry.name
                if name.endswith(".pickle") and name[:-7] in used:
                    continue
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
        return removed


@dataclass(frozen=True)
class FileMemo:
    """What each whole file of an output folder was made of (picklable: the workers that
    write files use it). A memo is written after its file passed its check; a memo whose file
    did not reach the output folder (a failed commit) no longer matches that file's bytes, so
    it never keeps a file it does not describe."""

    root: str          # the memo folder
    output_root: str   # the output folder, where the earlier build's files are
    environment: bytes
    read: bool = True  # False: --clean

    def inputs(self, name: str, *parts: bytes | str) -> str:
        """The digest of what file ``name`` (relative to the output folder) is made of."""
        digest = hashlib.blake2b(self.environment, digest_size=20)
        digest.update(name.encode("utf-8") + b"\0")
        for part in parts:
            digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        return digest.hexdigest()

    def _path(self, name: str) -> Path:
        return Path(self.root) / f"{hashlib.blake2b(name.encode('utf-8'), digest_size=16).hexdigest()}"

    def unchanged(self, name: str, inputs: str) -> bool:
        """The earlier build's file ``name`` was made of ``inputs`` and is still as written."""
        if not self.read:
            return False
        try:
            recorded = self._path(name).read_text(encoding="ascii").split()
            if recorded[:2] != [name.encode("utf-8").hex(), inputs]:
                return False
            return _file_digest(Path(self.output_root) / name) == recorded[2]
        except (OSError, ValueError, IndexError):
            return False

    def remember(self, name: str, inputs: str, written: Path) -> None:
        """``written`` (the new file ``name``, still in its staging folder) is made of
        ``inputs``. Written whole, then renamed."""
        try:
            line = f"{name.encode('utf-8').hex()} {inputs} {_file_digest(written)}\n"
            _write_whole(self._path(name), line.encode("ascii"))
        except OSError:
            return  # costs the next rebuild a redraw, never this build


    def recall_set(self, name: str, inputs: str) -> list[str] | None:
        """The inputs of each file of set ``name`` (files written as one, such as a sheet in
        pieces) when the earlier build made the set of the same ``inputs``, else None."""
        if not self.read:
            return None
        try:
            words = self._path(name).read_text(encoding="ascii").split()
        except (OSError, ValueError):
            return None
        if words[:2] != [name.encode("utf-8").hex(), inputs]:
            return None
        return words[2:]

    def remember_set(self, name: str, inputs: str, members: list[str]) -> None:
        """Set ``name`` was made of ``inputs``; ``members``: the inputs of each of its files,
        each remembered (with its bytes) on its own."""
        try:
            _write_whole(self._path(name), (" ".join([name.encode("utf-8").hex(), inputs,
                                                      *members]) + "\n").encode("ascii"))
        except OSError:
            return

    def per_part_index(self, target: str) -> PerPartIndex:
        """What the earlier build recorded of ``target``'s per-part files (empty: none, or
        --clean). Only a shortcut: a file whose size or time differs is compared in full."""
        if not self.read:
            return {}
        try:
            index = pickle.loads(zlib.decompress(self._index_path(target).read_bytes()))
        except Exception:  # missing or damaged: every file is compared in full
            return {}
        return index if isinstance(index, dict) else {}

    def keep_per_part_index(self, target: str, index: PerPartIndex) -> None:
        try:
            _write_whole(self._index_path(target), _pickled(index))
        except OSError:
            return  # costs the next rebuild a full comparison, never this build

    def _index_path(self, target: str) -> Path:
        return Path(self.root) / f"per-part-{target}.index"


# per-part file (relative name) -> its size, modification time (ns) and digest
PerPartIndex = dict[str, tuple[int, int, str]]


def per_part_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it there: a state file
    that exists is complete. Raises OSError (the callers' state is only ever a shortcut)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _pickled(value: Any) -> bytes:
    # compressed fast: rendered XML and JSON shrink about fivefold
    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), COMPRESSION)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["CACHE_DIR", "MEMO_DIR", "FileMemo", "PerPartIndex", "RenderCache",
           "environment_key", "per_part_digest"]
