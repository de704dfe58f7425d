"""Shared test helpers: repository paths and running the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASHEETS = REPO / "examples" / "datasheets"
CATALOG = REPO / "catalog"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


def published(root: Path) -> list[Path]:
    """The files a build put in its output folder, in order: not the folder's own state (the
    render cache a rebuild takes unchanged records from)."""
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and ".cae-export" not in p.relative_to(root).parts)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None) -> Run:
    """Run ``python -m cae_export`` in a real subprocess, as a user would."""
    proc = subprocess.run([sys.executable, "-m", "cae_export", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or REPO, timeout=600)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli


def assert_golden(actual: bytes, golden: Path) -> None:
    """``actual`` equals the golden file. ``UPDATE_GOLDEN=1`` rewrites the golden file first:
    the one way to accept an intended change, then review the diff (``git diff tests/golden``)."""
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
    assert actual == golden.read_bytes(), f"{golden.name} differs from the golden file"
