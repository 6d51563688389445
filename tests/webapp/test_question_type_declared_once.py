"""A question type declared in one module works end to end: a throw-away type, declared and registered inside
this test, is accepted by the definition format and its JSON Schema, rendered on a respondent page, stored from
the POST, exported as its own column, scored, offered to the ROI analysis as a metric and written to and read
from an XLSForm — with no other file changed (docs/question-types.md is the recipe this follows)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

import pandas as pd
import pytest
from flask.testing import FlaskClient
from pydantic import Field
from sqlalchemy.orm import Session

from roi.config import RoiConfig
from roi.inputs.responses import build_responses
from surveys.definition import InvalidDefinition, build_survey, json_schema
from surveys.files import read_survey, write_survey
from surveys.questions import (
    QUESTION_TYPES,
    MetricColumn,
    Scale,
    ScaleQuestion,
    Scored,
    registered,
)
from surveys.scoring import score_survey
from webapp.services import create_invitations, publish_survey
from webapp.services.export import export_responses


class StarsQuestion(ScaleQuestion):
    """A star rating from one star to `stars` stars (the whole declaration of the type)."""

    type: Literal["stars"] = "stars"
    stars: int = Field(default=5, ge=3, le=10)
    outcome: ClassVar[bool] = True

    @property
    def effective_scale(self) -> Scale:
        return Scale(min=1, max=self.stars, min_label="One star", max_label=f"{self.stars} stars")

    def score(self, responses: pd.DataFrame, survey: object) -> Scored:
        return self.score_mean_item(responses)

    def metric_columns(self, survey: object) -> list[MetricColumn]:
        return [self.metric("item")]


DEFINITION = {
    "id": "stars_survey", "title": "How did we do?",
    "sections": [{"id": "main", "title": "Your visit", "questions": [
        {"id": "q_stars", "type": "stars", "text": "How many stars would you give your visit?", "stars": 4,
         "required": True},
        {"id": "q_why", "type": "text", "text": "Anything to add?"},
    ]}],
}


@pytest.fixture
def stars() -> Iterator[type[StarsQuestion]]:
    with registered(StarsQuestion):
        yield StarsQuestion


def test_unknown_until_declared() -> None:
    with pytest.raises(InvalidDefinition, match="unknown question type 'stars'"):
        build_survey(DEFINITION)


def test_a_type_declared_in_one_module_works_end_to_end(stars: type[StarsQuestion], client: FlaskClient,
                                                        db: Session, tmp_path: Path) -> None:
    # the definition format and its schema know the type
    assert QUESTION_TYPES["stars"] is stars
    assert "stars" in str(json_schema())
    survey = build_survey(DEFINITION)
    with pytest.raises(InvalidDefinition, match=r"sections\[0\]\.questions\[0\]\.stars"):
        build_survey(DEFINITION | {"sections": [{"id": "main", "title": "Your visit", "questions": [
            {"id": "q_stars", "type": "stars", "text": "Stars?", "stars": 11}]}]})

    # a respondent sees it as one radio group of four points, answers, and the answer is stored
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    url = f"/s/{issued.token}"
    page = client.get(url).get_data(as_text=True)
    assert len(re.findall(r'<input[^>]+name="q_stars"[^>]+type="radio"|<input[^>]+type="radio"[^>]+name="q_stars"',
                          page)) == 4
    assert "4 stars" in page and "One star" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    refused = client.post(url, data={"page": "0", "csrf_token": token.group(1), "q_stars": "5"})
    assert refused.status_code in (200, 400) and "5 is outside the scale 1..4" in refused.get_data(as_text=True)
    reply = client.post(url, data={"page": "0", "csrf_token": token.group(1), "q_stars": "3", "q_why": "Fine"})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:1000]

    # the export has its column, holding the number
    path = tmp_path / "responses.csv"
    assert export_responses(db, survey.id, path) == 1
    exported = pd.read_csv(path)
    assert "q_stars" in exported.columns and exported.loc[0, "q_stars"] == 3

    # scored: the mean of three answers worked out by hand, (1 + 3 + 4) / 3
    responses = pd.DataFrame({"status": ["complete"] * 3, "q_stars": [1, 3, 4], "q_why": [None, None, None]})
    [item] = score_survey(responses, survey).items
    assert item.name == "q_stars:mean" and item.estimate == pytest.approx(8 / 3) and item.n == 3

    # offered to the ROI analysis as an item on its 1–4 scale
    table = build_responses(exported.assign(customer_id=["C1"]), RoiConfig(), survey)
    [metric] = [m for m in table.items if m.column == "q_stars"]
    assert metric.scale == (1, 4) and metric.polarity == "higher_is_better"
    assert "q_why" in table.text_columns

    # and it round-trips through an XLSForm workbook
    write_survey(survey, tmp_path / "stars.xlsx")
    assert read_survey(tmp_path / "stars.xlsx").question("q_stars").model_dump() == survey.question("q_stars").model_dump()


def test_unregistered_again_after_the_test(stars: type[StarsQuestion]) -> None:
    assert "stars" in QUESTION_TYPES


def test_the_registry_forgets_a_type_when_asked() -> None:
    assert "stars" not in QUESTION_TYPES
    with pytest.raises(InvalidDefinition):
        build_survey(DEFINITION)
