"""`cxroi analyze` and `cxroi demo-data`: the ROI analysis from the command line.

Bad input (a `CxroiError` from roi or surveys) reaches `webapp.cli.main`, which prints one clear message
naming the file, row and column, and exits 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from .hosting_commands import _session
from .root import cli

# roi (statsmodels, scipy) is imported inside the commands: `cxroi --help` and the other commands stay fast.

FILE = click.Path(dir_okay=False, path_type=Path)


@cli.command("analyze")
@click.option("--responses", type=FILE, help="Responses table (.csv, .xlsx or .parquet).")
@click.option("--definition", type=FILE, help="Survey definition the responses answer (.yaml/.json/.xlsx).")
@click.option("--survey", "slug", help="Take responses and definition of this published survey from the database.")
@click.option("--outcomes", type=FILE, required=True, help="Outcomes table, one row per customer.")
@click.option("--config", type=FILE, help="roi.yaml: column mapping, controls, scenario, finance.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random draw.")
@click.option("--codebook", type=FILE, help="Themes codebook (.yaml, docs/themes.md) to code the comments with; "
                                           "default: the survey's own, else themes found in the comments.")
@click.option("-o", "--output", type=FILE, required=True, help="Where to write results.json.")
def analyze_command(responses: Path | None, definition: Path | None, slug: str | None, outcomes: Path,
                    config: Path | None, seed: int, codebook: Path | None, output: Path) -> None:
    """Relate survey answers to retention and revenue; write results.json (docs/results.md)."""
    from roi.analysis import analyze_files
    from roi.results import write_results

    if (responses is None) == (slug is None):
        raise click.UsageError("give either --responses FILE or --survey SLUG")
    if slug is not None and definition is not None:
        raise click.UsageError("--definition goes with --responses; --survey takes the survey's own definition")
    if responses is not None:
        results = analyze_files(responses=responses, outcomes=outcomes, definition=definition, config=config,
                                seed=seed, codebook=codebook)
    else:
        from ..services.analysis import analyze_published_survey

        assert slug is not None
        from roi.themes.codebook import read_codebook

        with _session() as session:
            results = analyze_published_survey(session, slug, outcomes=outcomes, config=config, seed=seed,
                                               codebook=read_codebook(codebook) if codebook else None)
    write_results(results, output)
    quality = results.data_quality
    click.echo(f"wrote {output}: {quality['matched']} of {quality['respondents']} respondents matched, "
               f"{len(results.warnings)} warning(s)")


@cli.command("demo-data")
@click.option("--customers", type=click.IntRange(min=10), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def demo_data_command(customers: int, seed: int, out: Path) -> None:
    """Write synthetic survey.yaml, responses.csv, outcomes.csv, roi.yaml and truth.json (known effects)."""
    from roi.synthetic import build_demo_data, write_demo_data

    paths = write_demo_data(build_demo_data(customers, seed=seed), out)
    click.echo("wrote " + ", ".join(str(p) for p in paths))
