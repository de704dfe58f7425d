"""Shared test helpers: repository paths and running the real command line."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASHEETS = REPO / "examples" / "datasheets"
CATALOG = REPO / "catalog"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


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
