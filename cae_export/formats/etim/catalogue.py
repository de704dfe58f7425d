"""What the ETIM catalogue formats (xChange, BMEcat) share: the catalogue's date, which never
depends on the clock, and texts fitted into a length limit."""

from __future__ import annotations

import datetime
import os

from cae_export.pipeline.options import BuildOptions

DEFAULT_VALIDITY_START = "2000-01-01"


def validity_start(options: BuildOptions) -> str:
    """``--validity-start``, else ``SOURCE_DATE_EPOCH`` as a UTC date, else 2000-01-01: the same
    catalogue gives the same bytes on every run."""
    if options.validity_start:
        return options.validity_start
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
        return moment.date().isoformat()
    return DEFAULT_VALIDITY_START


def shorten(text: str, limit: int) -> str:
    """Fit ``text`` into ``limit`` characters, cutting at a word and marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ;,") + "…"
