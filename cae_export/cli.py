"""Command line: ``cae-export <command> …``. Exit 0 ok, 1 when any record failed, 2 usage error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cae_export import __version__
from cae_export.console import stderr
from cae_export.core.problems import RecordError
from cae_export.pipeline.executor import ClusterUnavailable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    from cae_export.commands import COMMANDS

    parser = argparse.ArgumentParser(
        prog="cae-export",
        description="Turn manufacturer data sheets into catalog records and catalog records into "
                    "EPLAN part libraries, ETIM/ECLASS data and marker files, each validated "
                    "against its schema before it is written.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ClusterUnavailable as exc:
        stderr.print(f"error: {exc}", markup=False)
        return EXIT_USAGE
    except RecordError as exc:
        stderr.print(f"error: {exc.problem}", markup=False)
        return EXIT_FAILED
    except OSError as exc:
        stderr.print(f"error: {exc.filename or ''}: {exc.strerror or exc}", markup=False)
        return EXIT_FAILED
    except KeyboardInterrupt:
        stderr.print("interrupted", markup=False)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
