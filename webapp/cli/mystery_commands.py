"""`cxroi mystery SLUG --visits visits.csv [--format text|json] [--problem CODE]`: the consistency of mystery
shops (issue 11, docs/waves.md "Mystery shopping consistency"). visits.csv maps each visit reference to the shop
(location or scenario) and the evaluator; the answers are the survey's complete responses whose customer id is
the visit (the mystery-shop form's `visit` link parameter), one touchpoint per `q_unexpected_<step>` question."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from surveys.errors import CxroiError

from ..config import database_url_from_environment
from ..storage.engine import open_session
from .root import cli

TOUCHPOINT_PREFIX = "q_unexpected_"
NOTE_PREFIX = "q_unexpected_note_"


class MysteryCommandError(CxroiError):
    """The visits file or the survey's responses cannot be compared; the message names file and column."""


def read_visits(path: Path) -> pd.DataFrame:
    """visits.csv as text cells, with its `visit`, `shop` and `evaluator` columns checked by name."""
    from roi.mystery import ID_COLUMNS  # here: roi.mystery loads scipy and statsmodels

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise MysteryCommandError(f"{path}: the file is empty (expected the columns visit, shop, evaluator)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise MysteryCommandError(f"{path}: not a readable CSV file ({error})") from None
    table.columns = [str(column).strip() for column in table.columns]
    for column in ID_COLUMNS:
        if column not in table.columns:
            raise MysteryCommandError(f"{path}: missing column {column!r} (expected visit, shop, evaluator)")
    for column in ID_COLUMNS:
        table[column] = table[column].str.strip()
        blank = table[column] == ""
        if blank.any():
            raise MysteryCommandError(f"{path}, row {int(blank.to_numpy().nonzero()[0][0]) + 2}: "
                                      f"column {column!r} is empty")
    repeated = table["visit"].duplicated()
    if repeated.any():
        raise MysteryCommandError(f"{path}, row {int(repeated.to_numpy().nonzero()[0][0]) + 2}: "
                                  f"column 'visit' repeats {table['visit'][repeated].iloc[0]!r}")
    return table[list(ID_COLUMNS)]


def visits_with_answers(responses: pd.DataFrame, visits: pd.DataFrame, path: Path,
                        slug: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """(the visits joined with their complete response, the touchpoint columns, the visits without a response)."""
    from ..services.export import own_columns

    touchpoints = [c for c in responses.columns if str(c).startswith(TOUCHPOINT_PREFIX)
                   and not str(c).startswith(NOTE_PREFIX)]
    if not touchpoints:
        raise MysteryCommandError(f"survey {slug!r} has no touchpoint question ({TOUCHPOINT_PREFIX}<step>, "
                                  "as in the mystery_shop template)")
    own = own_columns(list(responses.columns))
    answers = responses[[own["customer_id"], own["submitted_at"], *touchpoints]].rename(
        columns={own["customer_id"]: "visit"})
    answers = answers[answers["visit"].notna()].astype({"visit": str})
    answers = answers.sort_values(own["submitted_at"]).drop_duplicates("visit", keep="last")  # latest shop counts
    answers[touchpoints] = answers[touchpoints].astype(object).where(answers[touchpoints].notna(), None)
    for column in touchpoints:
        answers[column] = answers[column].map(lambda value: None if value is None else str(value))
    joined = visits.merge(answers.drop(columns=own["submitted_at"]), on="visit", how="inner")
    missing = sorted(set(visits["visit"]) - set(joined["visit"]))
    if joined.empty:
        raise MysteryCommandError(f"{path}: none of its {len(visits)} visits has a complete response of survey "
                                  f"{slug!r} (a response's customer id is its visit reference)")
    return joined, touchpoints, missing


@cli.command("mystery")
@click.argument("slug")
@click.option("--visits", "visits_path", required=True, type=click.Path(path_type=Path),
              help="CSV file with the columns visit, shop, evaluator.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--problem", default="bad", show_default=True,
              help="The answer code counted as a problem when comparing shops.")
def mystery_command(slug: str, visits_path: Path, fmt: str, problem: str) -> None:
    """Compare the mystery shops of survey SLUG: agreement between evaluators of the same shop (Fleiss' kappa)
    and how much each touchpoint's experience varies between shops, most varying first."""
    from roi.mystery import as_text, consistency  # here: they load scipy and statsmodels

    from ..services.export import response_frame
    from ..services.publishing import find_survey

    visits = read_visits(visits_path)
    with open_session(database_url_from_environment()) as session:
        find_survey(session, slug)
        responses = response_frame(session, slug)
    joined, touchpoints, missing = visits_with_answers(responses, visits, visits_path, slug)
    report = consistency(joined, touchpoints, problem=problem)
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        click.echo(f"{visits_path}: {len(missing)} visit(s) without a complete response left out: {shown}", err=True)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict() | {"visits_without_response": missing}, indent=2,
                              ensure_ascii=False))
    else:
        click.echo(as_text(report))
