"""What the faster respondent path and export (issue 15) must keep: the radio buttons and checkboxes written
directly are the HTML the WTForms widgets wrote, a version's parsed survey is reused, reads on a public link do
not take SQLite's write lock, and the export's row makers spread answers as `Survey.to_row` does."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import Form, RadioField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from tests.webapp.support.web import PAGE_1, begins, example_survey, first_page_token, statements_sent
from webapp.respond.forms import ASIDE_VALUES, _choices, option_inputs
from webapp.services import export_rows, publish_survey, publishing
from webapp.services.invitations import sign_customer_id

CHOICES = [("1", "One"), ("2", 'Two <b>"bold"</b> & more'), ("x&y", ""), ("4", "Four")]


def widget_html(field: Any, described: str | None) -> str:
    """How the template rendered the options through the WTForms widgets before (the reference); the div's
    class is the page's layout: "No answer"/"Not applicable" apart, a labelled point (a scale's end) on its own
    row, other points plain."""
    attributes = {"aria-describedby": described} if described else {}
    labels = {str(value): label for value, label in CHOICES}

    def kind(option: Any) -> str:
        value = str(option.data)
        if value in ASIDE_VALUES and not isinstance(field, SelectMultipleField):
            return "option option-aside"
        return "option option-end" if labels.get(value) and labels[value] != value else "option"

    return "".join(f'\n  <div class="{kind(option)}">{option(**attributes)} {option.label}</div>\n'
                   for option in field)


@pytest.mark.parametrize("described", [None, "q-hint q-error", 'odd "id" <x>'])
@pytest.mark.parametrize("posted", [None, "2", "x&y", "nope"])
def test_radio_buttons_written_directly_are_the_widgets_html(described: str | None, posted: str | None) -> None:
    page = type("P", (Form,), {"q.row": RadioField("Q", choices=_choices(CHOICES), validate_choice=False)})
    form = page(formdata=MultiDict({"q.row": posted} if posted else {}))
    assert str(option_inputs(form["q.row"], described)) == widget_html(form["q.row"], described)


@pytest.mark.parametrize("data", [None, [], ["1", "x&y"], [1, 4]])
def test_checkboxes_written_directly_are_the_widgets_html(data: Any) -> None:
    field = SelectMultipleField("Q", choices=_choices(CHOICES), validate_choice=False,
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    form = type("P", (Form,), {"q": field})(data={"q": data})
    for described in (None, "q-error"):
        assert str(option_inputs(form["q"], described)) == widget_html(form["q"], described)


def test_a_prefilled_integer_answer_checks_its_radio_button() -> None:
    form = type("P", (Form,), {"q": RadioField("Q", choices=_choices(CHOICES), validate_choice=False)})(
        data={"q": 4})
    html = str(option_inputs(form["q"], None))
    assert html == widget_html(form["q"], None) and '<input checked id="q-3"' in html


def test_a_version_is_parsed_once_per_process(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    version = publish_survey(db, example_survey())
    first = publishing.survey_of(version)
    monkeypatch.setattr(publishing, "build_survey", lambda *a, **k: pytest.fail("parsed again"))
    assert publishing.survey_of(version) is first
    assert publishing.survey_of(db.get(type(version), version.id)) is first


def test_reading_a_public_link_does_not_take_the_write_lock(app: Flask, db: Session, db_url: str) -> None:
    """On SQLite, showing pages begins deferred transactions; only saving a page begins BEGIN IMMEDIATE."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    publish_survey(db, example_survey(customer_id_param="cid"))
    from webapp.extensions import get_db

    with app.app_context():
        engine = get_db().get_bind()
    with statements_sent(engine) as sent:
        browser = app.test_client()
        url = f"/p/acme_relationship?channel=email&cid={sign_customer_id('test-secret', 'acme_relationship', 'C1')}"
        token = first_page_token(browser, url)
        assert begins(sent) and set(begins(sent)) == {"BEGIN"}, sent
        sent.clear()
        assert browser.post("/p/acme_relationship", data=PAGE_1 | {"csrf_token": token}).status_code == 303
        assert begins(sent) == ["BEGIN IMMEDIATE"], sent  # one write: the response created and page 1 saved
        sent.clear()
        assert browser.get("/p/acme_relationship?page=1").status_code == 200
        assert begins(sent) == ["BEGIN"]


def test_the_export_row_maker_spreads_answers_as_survey_to_row() -> None:
    survey = example_survey()
    make = export_rows.row_maker(survey)
    cases: list[dict[str, Any]] = [
        {},
        {"q_align": {"easy": 4, "partner": 2}, "q_ces": 3, "q_channels": ["phone", "chat"], "q_nps": 8,
         "q_friction": {"ordering": {"hesitated": True, "what": "=1+1"}, "billing": {"hesitated": False}},
         "q_channel": {"phone": 5, "chat": 2}, "q_why": "Call back sooner"},
        {"q_align": {"partner": 2, "easy": 4}, "q_ces": True, "q_nps": 8.0, "q_channels": []},
        {"q_align": {"easy": "4"}, "q_ces": "3", "q_nps": 1, "q_channel": {"phone": 1.0}},
        {"q_ces": 1, "q_nps": True, "q_friction": {"ordering": {"hesitated": 1}}},
    ]
    for answers in cases * 2:  # the second round reads the reused columns
        assert make(answers) == survey.to_row(answers), answers
        assert [type(v) for v in make(answers).values()] == [type(v) for v in survey.to_row(answers).values()]
