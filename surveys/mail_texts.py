"""The survey's invitation and reminder e-mail, given in the definition per language like its other texts.

Each field is a Jinja template rendered in a sandbox by the web app (webapp/services/mailing/templates.py, with the
variables `name`, `customer_id`, `link`, `unsubscribe_link`, `survey_title`, `reminder`, `expires_on`). A customer
reads the templates in their `language` (from the customer list), in the default language's text where a field is
not given in theirs; a field the definition leaves out is the Mail page's template, else the built-in default.
docs/definition-format.md, "Mail templates".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field

from .errors import Problem
from .questions import Strict
from .texts import Localised, texts_of

if TYPE_CHECKING:
    from .model import Survey

MAIL_TEMPLATE_LIMIT = 50_000
MAIL_SUBJECT_LIMIT = 300
MailSubject = Annotated[str, Localised(min_length=1, max_length=MAIL_SUBJECT_LIMIT)]
MailBody = Annotated[str, Localised(min_length=1, max_length=MAIL_TEMPLATE_LIMIT)]
MAIL_FIELDS = ("subject", "text_body", "html_body")
LINKS = ("link", "unsubscribe_link")
"""What every body must show: the personal link and the unsubscribe link."""
BODIES = ("text_body", "html_body")
TEMPLATE_VARIABLES = ("name", "customer_id", "link", "unsubscribe_link", "survey_title", "reminder", "expires_on")
"""The variables a mail template may use (the web app renders them for each customer)."""
SAMPLE: dict[str, Any] = {
    "name": "Alex Example", "customer_id": "C-1001", "link": "https://cx.example.com/s/PERSONAL-TOKEN",
    "unsubscribe_link": "https://cx.example.com/unsubscribe/TOKEN", "survey_title": "Our survey",
    "reminder": False, "expires_on": "2030-01-31"}
"""A sample customer the templates are checked with, as an invitation and as a reminder."""

TEXT_ENV = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
HTML_ENV = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
"""Jinja's sandbox, as the web app renders the mail: the subject and the plain text as they are, HTML escaped."""


@dataclass(frozen=True)
class TemplateProblem:
    """One problem of one mail template: its field (`subject`, `text_body`, `html_body`), the template's line when
    known, and what is wrong."""

    field: str
    message: str
    line: int | None = None


def field_problems(texts: Mapping[str, str], *, limit: int = MAIL_TEMPLATE_LIMIT) -> list[TemplateProblem]:
    """Every problem of the templates `texts` gives (field → Jinja text; any of `MAIL_FIELDS`), found by rendering
    each for `SAMPLE` as an invitation and as a reminder: too long or empty, a syntax error with its line, an
    unknown variable or a sandbox refusal, and a body without `{{ link }}` or `{{ unsubscribe_link }}`. The one
    check of the web app's Mail page and of `cxroi survey validate` (`mail_problems`)."""
    problems = [TemplateProblem(name, f"longer than {limit} characters") if len(text) > limit
                else TemplateProblem(name, "empty") for name, text in texts.items()
                if len(text) > limit or not text.strip()]
    if problems:
        return problems
    for reminder in (False, True):
        for name, text in texts.items():
            try:
                (HTML_ENV if name == "html_body" else TEXT_ENV).from_string(text).render(SAMPLE | {"reminder": reminder})
            except TemplateSyntaxError as error:
                problems.append(TemplateProblem(name, error.message or "syntax error", error.lineno))
            except TemplateError as error:  # undefined variables, SecurityError of the sandbox
                problems.append(TemplateProblem(name, f"{error} (variables: {', '.join(TEMPLATE_VARIABLES)})"))
        if problems:
            return sorted(set(problems), key=problems.index)
    return [TemplateProblem(name, f"must contain {{{{ {variable} }}}}")
            for name, text in texts.items() if name in BODIES for variable in LINKS if variable not in text]


def mail_problems(survey: Survey) -> list[Problem]:
    """The problems of the definition's `mail` templates, each at its path and language: `mail.text_body.fr`
    (`mail.text_body` for a text given as a plain string), with the template's line when known. Checked by
    `cxroi survey validate` (not when a stored version is read); the web app passes over a text with a problem
    when it sends (webapp/services/mailing/templates.py). A language the survey does not offer is
    `surveys.texts.check_texts`'s (at `mail.<field>`)."""
    mail = survey.mail
    if mail is None:
        return []
    problems = []
    for name in MAIL_FIELDS:
        text = getattr(mail, name)
        if text is None:
            continue
        given = texts_of(text, survey.default_language)
        for language, template in given.items():
            path = f"mail.{name}.{language}" if len(given) > 1 or getattr(text, "texts", None) else f"mail.{name}"
            for problem in field_problems({name: template}):
                line = f"line {problem.line}: " if problem.line is not None else ""
                problems.append(Problem(path, f"{line}{problem.message}"))
    return problems


class MailTexts(Strict):
    """Subject, plain-text body and HTML body of the invitation (and of the reminder: `{% if reminder %}`)."""

    subject: MailSubject | None = Field(default=None, description="Jinja template of the subject line.")
    text_body: MailBody | None = Field(default=None, description="Jinja template of the plain-text body.")
    html_body: MailBody | None = Field(default=None, description="Jinja template of the HTML body (autoescaped).")
