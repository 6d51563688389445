"""The `cxroi` command tree, declared by each command module on the root group, and the one `--debug` switch."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from surveys.errors import CxroiError
from webapp.cli import cli, main

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = {
    "analyze": None, "demo": None, "demo-data": None, "invite": None, "report": None, "serve": None,
    "worker": None, "remind": None, "mystery": None,
    "db": {"upgrade"},
    "cases": {"list", "team", "risk"},
    "responses": {"export", "import"},
    "results": {"rebuild"},
    "survey": {"convert", "lint", "publish", "retention", "schema", "score", "validate"},
    "user": {"create", "list", "deactivate", "activate", "set-role", "reset-password", "unlink-sso"},
    "api-key": {"create", "list", "revoke", "transfer"},
    "customers": {"erase"},
    "team": {"create", "add", "remove", "list"},
    "audit": {"purge"},
    "wave": {"list", "start"},
}


def test_every_command_is_in_the_tree() -> None:
    tree = {name: set(command.commands) if isinstance(command, click.Group) else None
            for name, command in cli.commands.items()}
    assert tree == COMMANDS


def test_commands_are_declared_where_they_live() -> None:
    """No module wires commands in afterwards (`add_command`); each declares them with a decorator."""
    wired = [f"{path.name}:{node.lineno}" for path in sorted((ROOT / "webapp" / "cli").glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Attribute) and node.attr == "add_command"]
    assert wired == []


def test_errors_are_one_line_without_debug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(SystemExit) as done:
        main(["survey", "validate", str(missing)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(missing) in err and "Traceback" not in err


def test_debug_shows_the_error_itself(tmp_path: Path) -> None:
    with pytest.raises(CxroiError):
        main(["--debug", "survey", "validate", str(tmp_path / "missing.yaml")])


def test_debug_is_the_parsed_option_not_any_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file that happens to be called --debug (after `--`) does not switch tracebacks on.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(["survey", "validate", "--", "--debug"])
    assert done.value.code == 2
