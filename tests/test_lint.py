"""The code base stays ruff-clean (ruff is part of the test extras)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.skipif(shutil.which("ruff") is None and not (REPO / ".venv" / "bin" / "ruff").exists(),
                    reason="ruff is not installed")
def test_ruff_check_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "cae_export", "tests", "benchmarks"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
