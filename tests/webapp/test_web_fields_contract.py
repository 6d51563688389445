"""Contract: every registered question type has a field factory and a template, renders, and round-trips an
answer through the page POST into the stored response and back into the pre-filled page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from surveys.questions import QUESTION_TYPES
from tests.webapp.support.web import (
    FormReader,
    first_page_token,
    response_rows,
)
from webapp.respond.forms import FIELD_FACTORIES
from webapp.services import create_invitations, publish_survey

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# type → (question settings, what a respondent posts, what must be stored), worked out from each type's rules
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], Any]] = {
    "text": ({"multiline": True}, {"t_text": "  Quicker replies  "}, "Quicker replies"),
    "number": ({"min": 0, "max": 100}, {"t_number": "12.5"}, 12.5),
    "single_choice": ({"choices": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]}, {"t_single_choice": "b"},
                      "b"),
    "multi_choice": ({"choices": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"},
                                  {"code": "c", "label": "C"}]}, {"t_multi_choice": ["c", "a"]}, ["a", "c"]),
    "rating": ({"scale": {"min": 1, "max": 5}}, {"t_rating": "4"}, 4),
    "likert": ({"points": 7}, {"t_likert": "2"}, 2),
    "csat": ({}, {"t_csat": "5"}, 5),
    "ces": ({}, {"t_ces": "7"}, 7),
    "nps": ({}, {"t_nps": "0"}, 0),
    "alignment": ({}, {"t_alignment.easy": "3", "t_alignment.partner": "5"}, {"easy": 3, "partner": 5}),
    "friction": ({}, {"t_friction.ordering": "yes", "t_friction.ordering.what": "Too many steps",
                      "t_friction.billing": "no"},
                 {"ordering": {"hesitated": True, "what": "Too many steps"}, "billing": {"hesitated": False}}),
    "channel_rating": ({}, {"t_channel_rating.phone": "2"}, {"phone": 2}),
    "date": ({"max": "today"}, {"t_date": " 2024-02-29 "}, "2024-02-29"),
    "ranking": ({"choices": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}, {"code": "c", "label": "C"}]},
                {"t_ranking.1": "c", "t_ranking.2": "a"}, ["c", "a"]),  # 3rd left empty: optional, so allowed
    "note": ({"help": "Read me"}, {}, None),  # nothing posted, nothing stored
}


def contract_survey() -> Any:
    questions = [{"id": f"t_{kind}", "type": kind, "text": f"The {kind} question"} | settings
                 for kind, (settings, _, _) in CASES.items()]
    return build_survey({
        "id": "contract", "title": "Every type", "language": "fr",
        "brand_promises": [{"id": "easy", "label": "Easy"}, {"id": "partner", "label": "Partner"}],
        "touchpoints": [{"id": "ordering", "label": "Ordering"}, {"id": "billing", "label": "Billing"}],
        "channels": [{"id": "phone", "label": "Phone"}, {"id": "email", "label": "Email"}],
        "sections": [{"id": "all", "title": "All types", "questions": questions},
                     {"id": "end", "title": "The end", "questions": [{"id": "last", "type": "text", "text": "More?"}]}],
    })


def test_every_question_type_has_a_case_a_factory_and_a_template() -> None:
    assert set(CASES) == set(QUESTION_TYPES)
    assert {cls.widget for cls in QUESTION_TYPES.values()} <= set(FIELD_FACTORIES)
    for widget, factory in FIELD_FACTORIES.items():
        assert (TEMPLATES / factory.template).is_file(), f"{widget}: missing template {factory.template}"


@pytest.mark.parametrize("kind", list(CASES))
def test_round_trip_of_one_type(client: FlaskClient, db: Session, db_url: str, kind: str) -> None:
    survey = contract_survey()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "phone")
    url = f"/s/{issued.token}"
    page = client.get(url).get_data(as_text=True)
    assert 'lang="fr"' in page and f"The {kind} question" in page
    _, posted, expected = CASES[kind]
    for name in posted:
        assert f'name="{name}"' in page, f"{kind}: the page has no field {name}"
    token = first_page_token(client, url)
    reply = client.post(url, data={"page": "0", "csrf_token": token} | posted)
    assert reply.status_code == 303, reply.get_data(as_text=True)[:2000]
    [row] = response_rows(db_url)
    assert row["answers"] == ({f"t_{kind}": expected} if expected is not None else {})
    # back on the page, the stored answer is shown again as the respondent gave it
    state = FormReader(client.get(f"{url}?page=0").get_data(as_text=True)).values
    for name, value in posted.items():
        shown = state.get(name, [])
        wanted = sorted(value) if isinstance(value, list) else [value.strip()]
        assert sorted(shown) == wanted, f"{kind}: {name} shows {shown}, expected {wanted}"
