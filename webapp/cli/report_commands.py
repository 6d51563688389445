"""`cxroi report`: the ROI report for finance, as PDF (and optionally HTML).

From a saved results.json (`--results`), or from the same inputs as `cxroi analyze`, in which case the
analysis pipeline (`roi.analysis`) runs first, exactly as `cxroi analyze` runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .hosting_commands import _session
from .root import cli

# roi (statsmodels, reportlab) is imported inside the command: `cxroi --help` and the other commands stay fast.

FILE = click.Path(dir_okay=False, path_type=Path)


def _analysis_results(responses: Path | None, definition: Path | None, slug: str | None, outcomes: Path,
                      config: Path | None, seed: int) -> dict[str, Any]:
    """results.json data from the analysis inputs, through the same pipeline as `cxroi analyze`."""
    if responses is not None:
        from roi.analysis import analyze_files

        return analyze_files(responses=responses, outcomes=outcomes, definition=definition, config=config,
                             seed=seed).to_dict()
    assert slug is not None
    from ..services.analysis import analyze_published_survey

    with _session() as session:
        return analyze_published_survey(session, slug, outcomes=outcomes, config=config, seed=seed).to_dict()


@cli.command("report")
@click.option("--results", "results_path", type=FILE, help="A results.json written by `cxroi analyze`.")
@click.option("--responses", type=FILE, help="Responses table (.csv, .xlsx or .parquet), as for analyze.")
@click.option("--definition", type=FILE, help="Survey definition the responses answer, as for analyze.")
@click.option("--survey", "slug", help="Take responses and definition of this published survey from the database.")
@click.option("--outcomes", type=FILE, help="Outcomes table, one row per customer, as for analyze.")
@click.option("--config", type=FILE, help="roi.yaml, as for analyze.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random draw of the analysis.")
@click.option("--save-results", type=FILE, help="Also write the analysis' results.json here.")
@click.option("-o", "--output", type=FILE, required=True, help="Where to write the PDF.")
@click.option("--html", "html_path", type=FILE, help="Also write the same report as one HTML page.")
@click.option("--title", help="Report title (default: 'Customer experience: what it is worth').")
def report_command(results_path: Path | None, responses: Path | None, definition: Path | None, slug: str | None,
                   outcomes: Path | None, config: Path | None, seed: int, save_results: Path | None, output: Path,
                   html_path: Path | None, title: str | None) -> None:
    """Write the ROI report for finance (PDF, optionally HTML) from results.json or from the analysis inputs."""
    from roi.report import render_html, render_pdf
    from roi.results import read_results, write_results

    analysis_inputs = [name for name, value in (("--responses", responses), ("--definition", definition),
                                                ("--survey", slug), ("--outcomes", outcomes),
                                                ("--config", config), ("--save-results", save_results))
                       if value is not None]
    if results_path is not None:
        if analysis_inputs:
            raise click.UsageError(f"--results takes a finished analysis; drop {', '.join(analysis_inputs)}")
        results = read_results(results_path)
    else:
        if outcomes is None or (responses is None) == (slug is None):
            raise click.UsageError("give --results FILE, or the analysis inputs: --outcomes FILE and either "
                                   "--responses FILE or --survey SLUG")
        if slug is not None and definition is not None:
            raise click.UsageError("--definition goes with --responses; --survey takes the survey's own definition")
        results = _analysis_results(responses, definition, slug, outcomes, config, seed)
        if save_results is not None:
            write_results(results, save_results)
            click.echo(f"wrote {save_results}")
    pages = render_pdf(results, output, title=title)
    click.echo(f"wrote {output} ({pages} pages)")
    if html_path is not None:
        html_path.write_text(render_html(results, title=title), encoding="utf-8")
        click.echo(f"wrote {html_path}")
