"""Invitation mail per language (issue 13): the definition's `mail` texts, given per language like the other
texts, are sent in each customer's `language` (the default language's where they have none, or the survey does
not offer theirs), through a real SMTP server on 127.0.0.1; a translation that does not render falls back."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from surveys.definition import build_survey, to_data
from surveys.lint import has_errors, lint_survey
from tests.webapp.support.smtp import Sink, body
from tests.webapp.support.web import example_survey
from webapp.services import publish_survey
from webapp.services.customer_lists import read_customer_list
from webapp.services.mailing import (
    MailSettings,
    MailTemplates,
    queue_invitations,
    save_templates,
    send_pending,
)
from webapp.services.mailing.templates import localised_templates

SECRET = "test-secret"
SLUG = "acme_relationship"
MAIL = {
    "subject": {"en": "{{ survey_title }}: your opinion", "fr": "Votre avis, {{ name or 'cher client' }}"},
    "text_body": {"en": "Hello {{ name }}: {{ link }}\nStop: {{ unsubscribe_link }}\n",
                  "fr": "Bonjour {{ name }} : {{ link }}\nDésinscription : {{ unsubscribe_link }}\n"},
}


def bilingual(**mail: Any) -> Any:
    data = to_data(example_survey())
    data["languages"] = ["en", "fr"]
    data["title"] = {"en": str(data["title"]), "fr": "Comment allons-nous ?"}
    data["mail"] = MAIL | mail
    return build_survey(data)


def test_each_customer_reads_the_mail_in_their_language(db: Session, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    publish_survey(db, bilingual())
    listed = read_customer_list(b"customer_id,email,name,language\n"
                                b"C1,ann@example.com,Ann,en\nC2,eve@example.com,Eve,fr\n"
                                b"C3,udo@example.com,Udo,de\nC4,max@example.com,,\n", name="customers.csv")
    ids = queue_invitations(db, SLUG, listed, "email", SECRET).message_ids
    assert send_pending(db, MailSettings(url, "CX <cx@example.com>", "http://localhost", SECRET), ids) == {"sent": 4}
    subjects = {address: sink.to(address)[0]["Subject"] for address in
                ("ann@example.com", "eve@example.com", "udo@example.com", "max@example.com")}
    assert subjects == {"ann@example.com": "How are we doing?: your opinion", "eve@example.com": "Votre avis, Eve",
                        "udo@example.com": "How are we doing?: your opinion",  # German is not offered: English
                        "max@example.com": "How are we doing?: your opinion"}  # no language: the default
    assert body(sink.to("eve@example.com")[0]).startswith("Bonjour Eve : http://localhost/s/")
    # the HTML body is not in the definition: the stored (here the built-in) template, in English
    assert "Answer the survey" in body(sink.to("eve@example.com")[0], "html")


def test_the_definition_comes_first_and_a_broken_translation_falls_back(db: Session) -> None:
    stored = MailTemplates(subject="Stored {{ survey_title }}", text_body="S {{ link }} {{ unsubscribe_link }}")
    survey = bilingual()
    assert localised_templates(stored, survey, "fr").subject == "Votre avis, {{ name or 'cher client' }}"
    assert localised_templates(stored, survey, "fr").html_body == stored.html_body
    broken = bilingual(text_body={"en": "Hi {{ link }} {{ unsubscribe_link }}", "fr": "Bonjour {{ link }}"})
    assert localised_templates(stored, broken, "fr") == stored  # no unsubscribe link in French: the stored ones
    assert localised_templates(stored, broken, "en").text_body == "Hi {{ link }} {{ unsubscribe_link }}"
    publish_survey(db, survey)
    save_templates(db, SLUG, stored)  # the Mail page's templates stay for what the definition leaves out


def test_a_missing_translation_is_a_lint_warning_not_a_validation_error() -> None:
    survey = bilingual(subject={"en": "{{ survey_title }}"})  # builds: respondents read the English text
    findings = [f for f in lint_survey(survey) if f.code == "missing_translation"]
    assert ("mail.subject", "warning") in [(f.path, f.severity) for f in findings]
    assert not has_errors([f for f in findings])
