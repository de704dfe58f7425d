"""The one way templates are set up: a Jinja2 environment per template folder, escaped,
strict about undefined names, keeping the template's own line breaks."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import jinja2

from cae_export.core.resources import template_path

Filter = tuple[str, Callable[..., Any]]


@cache
def environment(folder: str, finalize: Callable[[Any], Any] | None = None,
                filters: tuple[Filter, ...] = (), *,
                escaping_finalize: bool = False) -> jinja2.Environment:
    """The environment for ``templates/<folder>/`` (one per folder and settings, per process).

    ``finalize`` turns every ``{{ value }}`` into its text (an XML attribute escaper, say);
    ``filters`` are (name, function) pairs the templates may use. ``escaping_finalize``: the
    finalize escapes every value itself (and passes ``Markup`` unchanged), so autoescaping
    is off; the same text comes out, without a ``Markup`` per value.
    """
    if escaping_finalize and finalize is None:
        raise ValueError("escaping_finalize needs the finalize that escapes")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_path(folder))),
        autoescape=not escaping_finalize, finalize=finalize, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(dict(filters))
    return env


__all__ = ["environment"]
