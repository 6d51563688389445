"""SPSS `.sav` and Stata `.dta` exports (issue 13), read back with pyreadstat: values, variable labels (question
texts, with the grid row or choice), value labels (scale anchors, choices, selected / yes-no), across versions,
from `cxroi responses export` and the results page."""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.results import SLUG
from tests.webapp.test_results_pages import URL, analyst, seeded  # noqa: F401  (fixtures)
from tests.webapp.test_storage_export import answered  # noqa: F401  (fixture)
from webapp.services import export, publish_survey

AGREEMENT_7 = {1: "Strongly disagree", 2: "Disagree", 3: "Somewhat disagree", 4: "Neither agree nor disagree",
               5: "Somewhat agree", 6: "Agree", 7: "Strongly agree"}  # the CES scale, as docs/question-types.md


def read(path: Path) -> tuple[Any, Any]:
    reader = pyreadstat.read_dta if path.suffix == ".dta" else pyreadstat.read_sav
    return reader(str(path))


@pytest.mark.parametrize(("suffix", "names"), [
    (".sav", {"align": "q_align.easy", "chat": "q_channels.chat", "hesitated": "q_friction.ordering",
              "what": "q_friction.ordering.what"}),
    (".dta", {"align": "q_align_easy", "chat": "q_channels_chat", "hesitated": "q_friction_ordering",
              "what": "q_friction_ordering_what"}),
])
def test_labelled_export_reads_back_with_its_labels(
        db: Session, answered: tuple[int, int], tmp_path: Path, suffix: str,  # noqa: F811
        names: dict[str, str]) -> None:
    path = tmp_path / f"out{suffix}"
    assert export.export_responses(db, "acme_relationship", path) == 2
    frame, meta = read(path)
    first, second = frame.to_dict("records")
    labels, values = meta.column_names_to_labels, meta.variable_value_labels
    # values, from RAW_1 / RAW_2 (test_storage_export works them out by hand)
    assert first["response_id"] == answered[0] and first["status"] == "complete" and second["status"] == "partial"
    assert (first["q_ces"], first[names["align"]], first[names["chat"]], first["q_nps"]) == (3, 4, 1, 8)
    assert first[names["hesitated"]] == 1
    assert first[names["what"]] == "=HYPERLINK(\"http://evil\")"  # no spreadsheet runs it: kept as typed
    assert math.isnan(second["q_nps"]) and second["customer_id"] == "-C2"
    # variable labels: the question's text; a grid row or a choice adds its label
    assert labels["q_ces"] == "Acme made it easy to get what I needed."
    assert labels[names["align"]] == "How well did your experience match each of these? — We make things easy"
    assert labels[names["chat"]] == "Which of these did you use to contact us? — Chat"
    assert labels["response_id"] == "Response id"
    # value labels: scale points, selected / not, yes / no, the NPS ends
    assert values["q_ces"] == AGREEMENT_7
    assert values[names["chat"]] == {0: "Not selected", 1: "Selected"}
    assert values[names["hesitated"]] == {0: "No", 1: "Yes"}
    assert values["q_nps"] == {0: "0 – Not at all likely", 10: "10 – Extremely likely"}
    assert "q_why" not in values


CHOICES_V1 = [{"code": "basic", "label": "Basic"}, {"code": "pro", "label": "Pro"}, {"code": "legacy", "label": "Old"}]
CHOICES_V2 = [{"code": "pro", "label": "Professional"}, {"code": "basic", "label": "Basic"}]


def plan_survey(choices: list[dict[str, str]]) -> Any:
    return build_survey({"id": "plans", "title": "Plans", "sections": [{"id": "p", "title": "P", "questions": [
        {"id": "q_plan", "type": "single_choice", "text": "Which plan are you on?", "choices": choices}]}]})


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_a_single_choice_is_numbered_newest_version_first_with_older_codes_after(
        db: Session, tmp_path: Path, suffix: str) -> None:
    from webapp.services import create_invitations
    from webapp.services.responding import answer_page, start_personal

    def answer(plan: str) -> None:
        [link] = create_invitations(db, "plans", [f"C{plan}"], "email")
        assert answer_page(db, start_personal(db, link.token).id, 0, {"q_plan": plan}).kind == "complete"

    publish_survey(db, plan_survey(CHOICES_V1))
    answer("legacy")
    publish_survey(db, plan_survey(CHOICES_V2))
    answer("basic")
    answer("pro")
    path = tmp_path / f"plans{suffix}"
    export.export_responses(db, "plans", path)
    frame, meta = read(path)
    # version 2 first (pro = 1, basic = 2, its wording), then what only version 1 had (legacy = 3, "Old")
    assert meta.variable_value_labels["q_plan"] == {1: "Professional", 2: "Basic", 3: "Old"}
    assert list(frame["q_plan"]) == [3, 2, 1]


def test_cli_exports_sav_by_extension(db: Session, db_url: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.cli import main

    publish_survey(db, plan_survey(CHOICES_V2))
    db.commit()
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    target = tmp_path / "plans.sav"
    with pytest.raises(SystemExit) as done:
        main(["responses", "export", "plans", "-o", str(target)])
        raise SystemExit(0)  # main returns normally on success
    assert done.value.code in (0, None)
    frame, meta = pyreadstat.read_sav(str(target))
    assert len(frame) == 0 and meta.column_names_to_labels["q_plan"] == "Which plan are you on?"


def test_results_page_offers_sav_and_dta(analyst: FlaskClient, seeded: Flask) -> None:  # noqa: F811
    html = analyst.get(URL).get_data(as_text=True)
    # the downloads are buttons of one form (beside the pseudonymise box), each naming its format's address
    assert f'formaction="{URL}/responses.sav"' in html and f'formaction="{URL}/responses.dta"' in html
    for kind in ("sav", "dta"):
        response = analyst.get(f"{URL}/responses.{kind}")
        assert response.status_code == 200 and f"{SLUG}-responses.{kind}" in response.headers["Content-Disposition"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"r.{kind}"
            path.write_bytes(io.BytesIO(response.data).getvalue())
            frame, meta = read(path)
        assert len(frame) == 13  # the seeded survey's responses, as test_exports counts them in the CSV
        assert meta.column_names_to_labels["q_ces"]

