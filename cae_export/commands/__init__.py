"""Sub-commands, one module each; each exposes ``register(subparsers)``."""

from __future__ import annotations

from cae_export.commands import build, check, convert, diff, importing, ingest, markers, synth, validate

COMMANDS = [ingest.register, importing.register, build.register, check.register, diff.register,
            convert.register, synth.register, markers.register, validate.register]
