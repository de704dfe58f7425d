"""The registry of output targets: the one place a new target is wired in.

A target is a module here (one class, decorated with ``@register``), a folder under
``templates/<target>/`` with its template(s) and schema, and one import line below.
"""

from __future__ import annotations

from cae_export.targets.base import BuildOptions, Target

TARGETS: dict[str, type[Target]] = {}


def register(cls: type[Target]) -> type[Target]:
    TARGETS[cls.name] = cls
    return cls


# Built-in targets register themselves on import; the order is the default build order.
# (imports go below this line, one per target)
from cae_export.targets import eplan, edz  # noqa: E402,F401,I001
from cae_export.targets import markers  # noqa: E402,F401
from cae_export.targets import etim_xlsx, eclass_xlsx, etim_xchange  # noqa: E402, F401

__all__ = ["TARGETS", "BuildOptions", "Target", "register"]
