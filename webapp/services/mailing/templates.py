"""Each survey's mail templates: subject, plain text and HTML in Jinja's sandbox (HTML autoescaped), checked by
rendering them for a sample customer, stored per survey, and the defaults; the definition's `mail` texts, per
language, come first for the customer's language (surveys/mail_texts.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.mail_texts import HTML_ENV as _HTML_ENV
from surveys.mail_texts import MAIL_FIELDS, field_problems
from surveys.mail_texts import SAMPLE as SAMPLE  # the Mail page's preview and its list of variables
from surveys.mail_texts import TEMPLATE_VARIABLES as TEMPLATE_VARIABLES
from surveys.mail_texts import TEXT_ENV as _TEXT_ENV
from surveys.model import Survey

from ...storage.models import MailTemplate, SurveyRecord, utcnow
from ..publishing import find_survey
from .settings import MailError

TEMPLATE_LIMIT = 50_000
SUBJECT_LIMIT = 300

DEFAULT_SUBJECT = "{% if reminder %}Reminder: {% endif %}{{ survey_title }}: how are we doing?"
DEFAULT_TEXT = """\
Hello{% if name %} {{ name }}{% endif %},

{% if reminder -%}
A few days ago we asked for your opinion; if you have a few minutes, we would still love to hear it.
{%- else -%}
We would like to hear about your experience with us. The survey takes a few minutes.
{%- endif %}

Your personal link (please do not forward it):
{{ link }}

Thank you.

--
You receive this because you are one of our customers. To receive no more survey e-mails from us:
{{ unsubscribe_link }}
"""
DEFAULT_HTML = """\
<p>Hello{% if name %} {{ name }}{% endif %},</p>
{% if reminder %}
<p>A few days ago we asked for your opinion; if you have a few minutes, we would still love to hear it.</p>
{% else %}
<p>We would like to hear about your experience with us. The survey takes a few minutes.</p>
{% endif %}
<p><a href="{{ link }}">Answer the survey: {{ survey_title }}</a></p>
<p>This link is personal to you; please do not forward it. Thank you.</p>
<hr>
<p><small>You receive this because you are one of our customers.
<a href="{{ unsubscribe_link }}">Receive no more survey e-mails from us</a>.</small></p>
"""
LABELS = {"subject": "subject", "text_body": "plain-text body", "html_body": "HTML body"}



@dataclass(frozen=True)
class MailTemplates:
    subject: str = DEFAULT_SUBJECT
    text_body: str = DEFAULT_TEXT
    html_body: str = DEFAULT_HTML
    reminder_after_days: int | None = None


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str




def render_mail(templates: MailTemplates, context: dict[str, Any]) -> RenderedMail:
    """Subject, plain text and HTML (autoescaped) rendered in Jinja's sandbox. Raises jinja2's TemplateError."""
    subject = " ".join(_TEXT_ENV.from_string(templates.subject).render(context).split())
    return RenderedMail(subject[:SUBJECT_LIMIT], _TEXT_ENV.from_string(templates.text_body).render(context),
                        _HTML_ENV.from_string(templates.html_body).render(context))


def template_problems(templates: MailTemplates) -> list[str]:
    """Every problem of a set of templates (syntax with its line, an unknown variable, sandbox refusals, missing
    links), found by rendering them for a sample customer, as an invitation and as a reminder
    (`surveys.mail_texts.field_problems`, the check `cxroi survey validate` applies to a definition's `mail`)."""
    problems = [f"{LABELS[p.field]}, line {p.line}: {p.message}" if p.line is not None
                else f"{LABELS[p.field]}: {p.message}"
                for p in field_problems({"subject": templates.subject, "text_body": templates.text_body,
                                         "html_body": templates.html_body}, limit=TEMPLATE_LIMIT)]
    if problems:
        return problems
    if templates.reminder_after_days is not None and not 1 <= templates.reminder_after_days <= 365:
        problems.append("reminder: the number of days must be between 1 and 365")
    return problems


def templates_for(session: Session, survey: SurveyRecord, *, definition: Survey | None = None,
                  language: str | None = None) -> MailTemplates:
    """The survey's stored templates, or the defaults; with the `definition` of the version a customer is invited
    to, its `mail` texts come first, in the customer's `language` when the survey is offered in it (else in the
    default language), field by field. Texts whose templates do not render (a syntax error, an unknown variable,
    a missing link) are passed over for the stored ones, so a mail always goes out."""
    row = session.scalar(sa.select(MailTemplate).where(MailTemplate.survey_id == survey.id))
    stored = MailTemplates() if row is None else MailTemplates(row.subject, row.text_body, row.html_body,
                                                               row.reminder_after_days)
    if definition is None or definition.mail is None:
        return stored
    return localised_templates(stored, definition, language)


def localised_templates(stored: MailTemplates, definition: Survey, language: str | None) -> MailTemplates:
    """`stored` with the definition's `mail` texts in `language` (the default language's where a text is not
    given in it, or `language` is not offered) put in place of the fields they give, when they render."""
    mail = definition.mail
    if mail is None:
        return stored
    chosen = language if language in definition.all_languages else definition.default_language
    given = {name: text.in_language(chosen) if hasattr(text, "in_language") else str(text)
             for name in MAIL_FIELDS if (text := getattr(mail, name)) is not None}
    templates = replace(stored, **given)
    return templates if not template_problems(templates) else stored


def save_templates(session: Session, slug: str, templates: MailTemplates, *, author: str | None = None) -> None:
    """Store a survey's templates and reminder schedule after checking them; `MailError` listing every problem
    (nothing stored). Commits."""
    problems = template_problems(templates)
    if problems:
        raise MailError("; ".join(problems))
    record = find_survey(session, slug)
    row = session.scalar(sa.select(MailTemplate).where(MailTemplate.survey_id == record.id))
    if row is None:
        row = MailTemplate(survey_id=record.id)
        session.add(row)
    row.subject, row.text_body, row.html_body = templates.subject, templates.text_body, templates.html_body
    row.reminder_after_days = templates.reminder_after_days
    row.updated_at, row.updated_by = utcnow(), author
    session.commit()


