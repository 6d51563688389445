"""`cxroi survey …`: validate, lint, schema and convert definition files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from surveys.definition import json_schema, read_survey, write_survey


@click.group()
def survey() -> None:
    """Work with survey definition files (YAML, JSON, XLSForm)."""


@survey.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check a definition; exit 0 when valid, 2 when not (each problem names its path in the file)."""
    definition = read_survey(file)
    click.echo(f"{file}: valid — {definition.title!r}, {len(definition.sections)} sections, "
               f"{sum(1 for _ in definition.questions())} questions")


@survey.command()
def schema() -> None:
    """Print the JSON Schema of the definition format."""
    click.echo(json.dumps(json_schema(), indent=2))


@survey.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def convert(source: Path, target: Path) -> None:
    """Convert between .yaml/.json and .xlsx (XLSForm), chosen by extension."""
    definition = read_survey(source)
    write_survey(definition, target)
    click.echo(f"wrote {target}")
