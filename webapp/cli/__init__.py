"""The `cxroi` command line. The root group is `webapp.cli.root.cli`; each command group lives in a module of
its own and declares its commands on that group (imported once here, so every command is known).

Bad input (a `CxroiError`) prints a clear message naming the file, row, column or definition path and exits
non-zero; a Python traceback is shown only with `--debug`.
"""

from __future__ import annotations

import sys
from typing import Any

import click
import sqlalchemy.exc

from surveys.errors import CxroiError

from . import (  # noqa: F401  (each module declares its commands on the root group)
    api_commands,
    audit_commands,
    cases_commands,
    demo,
    hosting_commands,
    import_commands,
    mystery_commands,
    privacy_commands,
    report_commands,
    results_commands,
    roi_commands,
    score_commands,
    survey_commands,
    team_commands,
    user_commands,
    wave_commands,
    worker_commands,
)
from .root import cli

__all__ = ["cli", "main"]

EXPLAINED = (CxroiError, OSError, sqlalchemy.exc.OperationalError, RecursionError)
"""Errors shown as one line on stderr with an exit code (`explain`), or raised as they are with `--debug`."""


def explain(error: BaseException) -> tuple[str, int]:
    """The message and exit code of an error in `EXPLAINED`."""
    if isinstance(error, CxroiError):
        return (f"error: {error}" if "\n" not in str(error) else str(error)), error.exit_code
    if isinstance(error, OSError):
        return f"error: {error}", 2
    if isinstance(error, sqlalchemy.exc.OperationalError):  # the database server is down or refuses us
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else "unknown reason"
        return f"error: cannot use the database (CXROI_DATABASE_URL): {reason}", 2
    # RecursionError: a reader fed a pathologically nested file (JSON, YAML) that it did not guard
    return "error: an input file is nested too deeply to read", 2


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    options: dict[str, Any] = {}  # the root group records --debug here
    try:
        cli.main(args=args, prog_name="cxroi", standalone_mode=False, obj=options)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except EXPLAINED as error:
        if options.get("debug"):
            raise
        message, code = explain(error)
        click.echo(message, err=True)
        sys.exit(code)
