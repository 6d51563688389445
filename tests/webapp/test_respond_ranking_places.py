"""A ranking's place labels are written in the page's language (`languages.local_ordinal`), not in English."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from webapp.services import create_invitations, publish_survey


def ranking_survey(language: str) -> dict[str, object]:
    return {
        "id": f"classement_{language}", "title": "Classement", "default_language": language,
        "sections": [{"id": "p", "title": "Ce qui compte", "questions": [
            {"id": "q_rank", "type": "ranking", "text": "Classez", "top": 3, "required": True,
             "choices": [{"code": "price", "label": "Le prix"}, {"code": "speed", "label": "La rapidité"},
                         {"code": "staff", "label": "L'accueil"}]},
        ]}],
    }


@pytest.mark.parametrize(("language", "places"), [
    ("fr", ["1er", "2e", "3e"]),  # French: premier, deuxième, troisième
    ("de", ["1.", "2.", "3."]),
    ("es", ["1.º", "2.º", "3.º"]),
    ("en", ["1st", "2nd", "3rd"]),
])
def test_the_place_labels_are_in_the_pages_language(client: FlaskClient, db: Session, language: str,
                                                     places: list[str]) -> None:
    survey = build_survey(ranking_survey(language))
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, ["C1"], "email")
    page = client.get(f"/s/{issued.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    labels = re.findall(r'<label for="q_rank\.(\d)">([^<]*)</label>', page)
    assert labels == [(str(number), place) for number, place in enumerate(places, 1)]
