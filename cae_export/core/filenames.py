"""File names made from item and part numbers, portable to every file system a catalog or a
part library is checked out on.

Windows cannot create a file whose name before the first dot is a device name (``CON``,
``NUL.yaml``, ``com1.edz``, …, in any case). Such a name gets a leading ``_``: item numbers and
part numbers start with a letter or digit, so the mapping is unambiguous and reversible
(``_CON.yaml`` holds item ``CON``; remove the ``_`` to get the name back).
"""

from __future__ import annotations

import re

RESERVED_DEVICE_NAME = re.compile(r"(?i)(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?")
ESCAPE = "_"


def portable_name(name: str) -> str:
    """``name`` as a file name any file system takes: ``CON.yaml`` -> ``_CON.yaml``."""
    return ESCAPE + name if RESERVED_DEVICE_NAME.fullmatch(name) else name


def original_name(name: str) -> str:
    """The name ``portable_name`` was given."""
    if name.startswith(ESCAPE) and RESERVED_DEVICE_NAME.fullmatch(name[1:]):
        return name[1:]
    return name


__all__ = ["RESERVED_DEVICE_NAME", "original_name", "portable_name"]
