""""Not applicable" (surveys/not_applicable.py): offered by the survey or the question, stored apart from the
answers, read as missing by export and scoring, a required question answered by it, refused where it cannot be
offered (with the definition path)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from surveys.definition import build_survey
from surveys.errors import InvalidDefinition
from surveys.model import Survey
from surveys.not_applicable import (
    NOT_APPLICABLE,
    STORED_KEY,
    offers_not_applicable,
    replace_page,
    with_not_applicable,
)
from surveys.scoring import score_survey


def survey(**top: Any) -> Survey:
    return build_survey({
        "id": "na", "title": "N/A",
        "brand_promises": [{"id": "easy", "label": "Easy"}, {"id": "partner", "label": "Partner"}],
        "sections": [
            {"id": "one", "title": "One", "questions": [
                {"id": "q_rate", "type": "rating", "text": "How was the delivery?"},
                {"id": "q_pick", "type": "single_choice", "text": "Which store?", "required": True,
                 "not_applicable": True, "choices": [{"code": "north", "label": "North"},
                                                     {"code": "south", "label": "South"}]},
                {"id": "q_align", "type": "alignment", "text": "How well did we keep these?", "required": True},
                {"id": "q_text", "type": "text", "text": "Anything else?"},
            ]},
            {"id": "two", "title": "Two", "questions": [
                {"id": "q_nps", "type": "nps", "text": "Recommend us?", "not_applicable": False},
            ]},
        ],
    } | top)


def test_who_offers_it() -> None:
    plain = survey()
    offered = {q.id for q in plain.questions() if offers_not_applicable(plain, q)}
    assert offered == {"q_pick"}  # only the question that asks for it
    everywhere = survey(not_applicable=True)
    offered = {q.id for q in everywhere.questions() if offers_not_applicable(everywhere, q)}
    assert offered == {"q_rate", "q_pick", "q_align"}  # not text; q_nps says false itself


def test_stored_apart_and_a_required_question_is_answered_by_it() -> None:
    s = survey(not_applicable=True)
    raw = {"q_rate": NOT_APPLICABLE, "q_pick": NOT_APPLICABLE,
           "q_align": {"easy": NOT_APPLICABLE, "partner": "4"}, "q_text": ""}
    answers, errors = s.clean_section(s.sections[0], raw, {})
    assert errors == {}
    assert answers == {"q_align": {"partner": 4}, STORED_KEY: ["q_align.easy", "q_pick", "q_rate"]}


def test_a_required_grid_needs_every_other_row_and_a_grid_all_na_stores_no_answer() -> None:
    s = survey(not_applicable=True)
    answers, errors = s.clean_section(s.sections[0], {"q_pick": "north", "q_align": {"easy": NOT_APPLICABLE}}, {})
    assert errors["q_align"].message == "answer every row: Partner" and errors["q_align"].row == "partner"
    answers, errors = s.clean_section(
        s.sections[0], {"q_pick": "north", "q_align": {"easy": NOT_APPLICABLE, "partner": NOT_APPLICABLE}}, {})
    assert errors == {} and answers == {"q_pick": "north", STORED_KEY: ["q_align.easy", "q_align.partner"]}


def test_refused_where_not_offered() -> None:
    s = survey()  # q_rate does not offer it: "n/a" is just an answer off the scale
    _, errors = s.clean_section(s.sections[0], {"q_rate": NOT_APPLICABLE, "q_pick": "north",
                                                "q_align": {"easy": "1", "partner": "2"}}, {})
    assert list(errors) == ["q_rate"]


def test_export_and_scoring_read_it_as_missing() -> None:
    s = survey(not_applicable=True)
    answers = {"q_pick": "north", "q_align": {"partner": 5}, STORED_KEY: ["q_align.easy", "q_rate"]}
    row = s.to_row(answers)
    assert row["q_rate"] is None and row["q_align.easy"] is None and row["q_align.partner"] == 5
    assert STORED_KEY not in row
    # Brand Alignment Score over partner only: (5 - 1) / 4 * 100 = 100, one respondent
    frame = pd.DataFrame([row | {"status": "complete"}])
    card = score_survey(frame, s)
    bas = next(m for m in card.overall if m.name == "q_align:bas")
    assert bas.estimate == pytest.approx(100.0) and bas.n == 1


def test_pages_replace_their_own_names_and_come_back_raw() -> None:
    stored = {"q_pick": "north", "q_nps": 3, STORED_KEY: ["q_align.easy", "q_rate"]}
    # page one sent again: q_rate now answered, q_pick N/A, q_align.easy no longer N/A; page two untouched
    cleaned = {"q_rate": 4, STORED_KEY: ["q_pick"]}
    merged = replace_page(stored, cleaned, {"q_rate", "q_pick", "q_align", "q_text"})
    assert merged == {"q_nps": 3, "q_rate": 4, STORED_KEY: ["q_pick"]}
    assert replace_page(merged, {"q_rate": 2}, {"q_rate", "q_pick", "q_align", "q_text"}) == {"q_nps": 3, "q_rate": 2}
    assert with_not_applicable({"q_align": {"partner": 4}, STORED_KEY: ["q_align.easy", "q_pick"]}) == {
        "q_align": {"partner": 4, "easy": NOT_APPLICABLE}, "q_pick": NOT_APPLICABLE}


def test_a_question_that_cannot_offer_it_is_refused_with_its_path() -> None:
    data = survey().model_dump(mode="json", exclude_defaults=True)
    data["sections"][0]["questions"][3]["not_applicable"] = True
    for section in data["sections"]:
        for question in section["questions"]:
            question.setdefault("type", {"q_rate": "rating", "q_pick": "single_choice", "q_align": "alignment",
                                         "q_text": "text", "q_nps": "nps"}[question["id"]])
    with pytest.raises(InvalidDefinition) as raised:
        build_survey(data)
    [problem] = raised.value.problems
    assert problem.path == "sections[0].questions[3].not_applicable"
    assert "cannot be answered 'Not applicable'" in problem.message
