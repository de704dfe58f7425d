"""Sub-commands, one module each; each exposes ``register(subparsers)``."""

from __future__ import annotations

from cae_export.commands import build, ingest

COMMANDS = [ingest.register, build.register]
