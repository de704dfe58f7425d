"""Caps on what the tool reads, so a huge or endless input is refused at once with a message
naming the cap, instead of costing minutes and gigabytes before it fails.

Each cap is far above any real input of its kind (a vendor data sheet is 10 to 50 kB, a
catalog record 5 to 30 kB): only a wrong or hostile file reaches one.
"""

from __future__ import annotations

from pathlib import Path

MAX_SHEET_BYTES = 1 << 20          # a data sheet's text: 1 MiB
MAX_RECORD_BYTES = 2 << 20         # one catalog record (YAML file or JSON Lines line): 2 MiB
MAX_JOB_BYTES = 64 << 20           # a marking job file: 64 MiB (over a million job lines)


class InputTooLarge(ValueError):
    """An input over its cap; the message names the cap."""


def size_text(size: int) -> str:
    return f"{size / (1 << 20):g} MiB" if size >= 1 << 20 else f"{size:,} bytes"


def too_large(what: str, cap: int) -> str:
    return f"{what} is larger than {size_text(cap)}, the most the tool reads"


def read_capped(path: Path, cap: int, what: str) -> bytes:
    """The bytes of ``path`` (a file or a device), or InputTooLarge past ``cap`` - read no
    further than the cap, so ``/dev/zero`` is refused as fast as a large file."""
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise InputTooLarge(too_large(what, cap))
    return data


__all__ = ["MAX_JOB_BYTES", "MAX_RECORD_BYTES", "MAX_SHEET_BYTES", "InputTooLarge", "read_capped",
           "size_text", "too_large"]
