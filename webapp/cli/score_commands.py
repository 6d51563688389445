"""`cxroi survey score DEFINITION --responses FILE`: the survey's metrics with n and 95% intervals."""

from __future__ import annotations

import json
from pathlib import Path

import click

from surveys.files import read_survey
from surveys.scoring import InvalidValue, MetricScore, MissingColumn, Scorecard, score_survey
from surveys.tables import file_row, read_responses_table

from .survey_commands import survey

GROUP_TITLES = {
    "overall": "Overall",
    "items": "Items",
    "promises": "Brand promises (Brand Alignment Score, 0–100)",
    "touchpoints": "Touchpoints (share who hesitated)",
    "channels": "Channels (mean rating)",
}


@survey.command()
@click.argument("definition", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--responses", "responses_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Responses table: .csv, .xlsx or .parquet.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--include-partial", is_flag=True, help="Score partial responses too (default: complete only).")
def score(definition: Path, responses_path: Path, fmt: str, include_partial: bool) -> None:
    """Score a survey's responses: NPS, CSAT, CES, Brand Alignment Score, friction and channels."""
    survey = read_survey(definition)
    responses = read_responses_table(responses_path)
    try:
        scorecard = score_survey(responses, survey, include_partial=include_partial)
    except InvalidValue as error:
        # Name the row as it appears in the file, not the DataFrame label.
        raise InvalidValue(error.column, error.row, error.problem,
                           where=file_row(responses_path, error.row)) from None
    except MissingColumn as error:
        raise MissingColumn(error.columns, where=str(responses_path)) from None
    if fmt == "json":
        click.echo(json.dumps(scorecard.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(render_text(scorecard, source=str(responses_path)))


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit in ("%", "NPS", "0–100"):
        return f"{value:.1f}"
    return f"{value:.2f}"


def _line(metric: MetricScore) -> tuple[str, str, str, str, str]:
    unit = metric.unit
    estimate = _number(metric.estimate, unit) + (" %" if unit == "%" and metric.estimate is not None else "")
    interval = "" if metric.ci_low is None or metric.ci_high is None else \
        f"[{_number(metric.ci_low, unit)}, {_number(metric.ci_high, unit)}]"
    return metric.label, estimate, interval, str(metric.n), metric.note or ""


def render_text(scorecard: Scorecard, *, source: str = "") -> str:
    """A plain-text table per group: metric, estimate, 95% interval, n and any note."""
    out = [f"Survey {scorecard.survey_id}" + (f" — {source}" if source else ""),
           f"{scorecard.responses_scored} of {scorecard.responses_total} responses scored "
           f"({'complete and partial' if scorecard.include_partial else 'complete only'})"]
    header = ("metric", "estimate", "95% interval", "n", "note")
    for group, title in GROUP_TITLES.items():
        metrics = getattr(scorecard, group)
        if not metrics:
            continue
        lines = [header, *(_line(metric) for metric in metrics)]
        widths = [max(len(line[i]) for line in lines) for i in range(4)]
        out += ["", title]
        for line in lines:
            cells = [line[0].ljust(widths[0]), line[1].rjust(widths[1]), line[2].ljust(widths[2]),
                     line[3].rjust(widths[3]), line[4]]
            out.append("  " + "  ".join(cells).rstrip())
    return "\n".join(out)
