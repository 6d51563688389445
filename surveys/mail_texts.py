"""The survey's invitation and reminder e-mail, given in the definition per language like its other texts.

Each field is a Jinja template rendered in a sandbox by the web app (webapp/services/mailing/templates.py, with the
variables `name`, `customer_id`, `link`, `unsubscribe_link`, `survey_title`, `reminder`, `expires_on`). A customer
reads the templates in their `language` (from the customer list), in the default language's text where a field is
not given in theirs; a field the definition leaves out is the Mail page's template, else the built-in default.
docs/definition-format.md, "Mail templates".
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .questions import Strict
from .texts import Localised

MAIL_TEMPLATE_LIMIT = 50_000
MAIL_SUBJECT_LIMIT = 300
MailSubject = Annotated[str, Localised(min_length=1, max_length=MAIL_SUBJECT_LIMIT)]
MailBody = Annotated[str, Localised(min_length=1, max_length=MAIL_TEMPLATE_LIMIT)]
MAIL_FIELDS = ("subject", "text_body", "html_body")
LINKS = ("link", "unsubscribe_link")
"""What every body must show: the personal link and the unsubscribe link."""


class MailTexts(Strict):
    """Subject, plain-text body and HTML body of the invitation (and of the reminder: `{% if reminder %}`)."""

    subject: MailSubject | None = Field(default=None, description="Jinja template of the subject line.")
    text_body: MailBody | None = Field(default=None, description="Jinja template of the plain-text body.")
    html_body: MailBody | None = Field(default=None, description="Jinja template of the HTML body (autoescaped).")
