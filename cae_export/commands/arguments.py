"""Argument types shared by the sub-commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def positive_int(option: str) -> Callable[[str], int]:
    """An argparse type for ``option``: a whole number of 1 or more, else a usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{option} wants a whole number of 1 or more, not {text!r}")
        return value

    return parse
