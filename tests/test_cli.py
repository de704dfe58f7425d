"""The command line: help on every command, exit codes."""

from __future__ import annotations

from cae_export.cli import build_parser


def command_names() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


def test_every_command_has_help(cli) -> None:
    names = command_names()
    assert {"ingest", "build"} <= set(names)
    top = cli("--help")
    assert top.returncode == 0 and "COMMAND" in top.stdout
    for name in names:
        result = cli(name, "--help")
        assert result.returncode == 0, name
        assert result.stdout.startswith(f"usage: cae-export {name}"), name


def test_version(cli) -> None:
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("cae-export ")


def test_unknown_option_is_a_usage_error(cli) -> None:
    result = cli("build", "--no-such-option")
    assert result.returncode == 2 and "usage:" in result.stderr
