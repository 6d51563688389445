"""The `cxroi` command line. Each command group lives in a module of its own and is registered here.

Bad input (a `CxroiError`) prints a clear message naming the file, row, column or definition path and exits
non-zero; a Python traceback is shown only with `--debug`.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy.exc

from surveys.errors import CxroiError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """cxroi: better customer-experience questions, hosted surveys, and what they are worth."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    from . import survey_commands

    cli.add_command(survey_commands.survey)

    from . import score_commands

    survey_commands.survey.add_command(score_commands.score)

    from . import demo, user_commands

    cli.add_command(demo.demo)

    cli.add_command(user_commands.user)

    from . import hosting_commands

    hosting_commands.register(cli, survey_commands.survey)

    from . import import_commands

    hosting_commands.responses.add_command(import_commands.import_)

    from . import roi_commands

    roi_commands.register(cli)

    from . import report_commands

    report_commands.register(cli)


_register()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        cli.main(args=args, prog_name="cxroi", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except CxroiError as error:
        if "--debug" in args:
            raise
        click.echo(f"error: {error}" if "\n" not in str(error) else str(error), err=True)
        sys.exit(error.exit_code)
    except OSError as error:
        if "--debug" in args:
            raise
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except sqlalchemy.exc.OperationalError as error:  # the database server is down or refuses us
        if "--debug" in args:
            raise
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else "unknown reason"
        click.echo(f"error: cannot use the database (CXROI_DATABASE_URL): {reason}", err=True)
        sys.exit(2)
    except RecursionError:  # a reader fed a pathologically nested file (JSON, YAML) that it did not guard
        if "--debug" in args:
            raise
        click.echo("error: an input file is nested too deeply to read", err=True)
        sys.exit(2)
