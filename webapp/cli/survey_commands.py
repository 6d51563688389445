"""`cxroi survey …`: validate, lint, schema and convert definition files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from surveys.definition import json_schema
from surveys.errors import InvalidDefinition
from surveys.files import read_survey, write_survey
from surveys.mail_texts import mail_problems

from .root import cli


@cli.group()
def survey() -> None:
    """Work with survey definition files (YAML, JSON, XLSForm)."""


@survey.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check a definition, its `mail` templates included; exit 0 when valid, 2 when not (each problem names its
    path in the file)."""
    if file.suffix.lower() == ".xlsx":  # what the import decided (a list read as a scale) is shown as well
        from surveys.xlsform import import_xlsform

        imported = import_xlsform(file)
        definition = imported.survey
        for note in imported.notes:
            click.echo(f"{file}: {note}")
    else:
        definition = read_survey(file)
    problems = mail_problems(definition)  # checked here and on publishing, not when a stored version is read
    if problems:
        raise InvalidDefinition(str(file), problems)
    click.echo(f"{file}: valid — {definition.title!r}, {len(definition.sections)} sections, "
               f"{sum(1 for _ in definition.questions())} questions")


@survey.command()
def schema() -> None:
    """Print the JSON Schema of the definition format."""
    click.echo(json.dumps(json_schema(), indent=2))


@survey.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--skip-unsupported", is_flag=True,
              help="From an XLSForm: import what cxroi can represent and list what was left out (sheet, row, name, "
                   "why) instead of refusing the workbook.")
def convert(source: Path, target: Path, skip_unsupported: bool) -> None:
    """Convert between .yaml/.json and .xlsx (XLSForm), chosen by extension."""
    if source.suffix.lower() != ".xlsx":
        if skip_unsupported:
            raise click.UsageError("--skip-unsupported applies to an XLSForm (.xlsx) source only")
        definition = read_survey(source)
    else:
        from surveys.xlsform import import_xlsform

        imported = import_xlsform(source, skip_unsupported=skip_unsupported)
        definition = imported.survey
        for note in imported.notes:
            click.echo(f"{source}: {note}")
        if imported.dropped:
            click.echo(f"{source}: left out {len(imported.dropped)} thing(s) cxroi cannot represent:")
            for problem in imported.dropped:
                click.echo(f"  {problem}")
    write_survey(definition, target)
    click.echo(f"wrote {target}")


@survey.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Findings as readable text or as JSON.")
def lint(file: Path, output_format: str) -> None:
    """Review a definition's questions; exit 0 with no error-level finding, 1 with some, 2 when the file is invalid."""
    from surveys.lint import estimate_completion_seconds, has_errors, lint_survey, render_json, render_text

    definition = read_survey(file)
    findings = lint_survey(definition)
    render = render_json if output_format == "json" else render_text
    click.echo(render(findings, source=str(file), estimated_minutes=estimate_completion_seconds(definition) / 60,
                      time_budget_minutes=definition.time_budget_minutes))
    if has_errors(findings):
        raise SystemExit(1)  # click returns ctx.exit codes in non-standalone mode; SystemExit reaches the shell
