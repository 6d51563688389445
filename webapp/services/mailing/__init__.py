"""E-mail distribution: invitations and reminders queued per customer, rendered from each survey's Jinja
templates, sent through SMTP (`CXROI_MAIL_URL`) or written to the log, each at most once and, unless a worker
dies while the message itself is going out, exactly once.

* `queueing`: `queue_invitations` creates the invitations and one `MailMessage` row each (state `queued`) in one
  transaction; the caller then queues one `send_mail` task per row (`webapp.services.mail_tasks`).
  `queue_reminders` adds one reminder row per invitee who neither answered nor opted out.
* `sending`: `send_message` claims the row with a conditional UPDATE, marks it `transmitting` (on the same claim)
  just before the DATA command, and records the outcome. The Message-ID is chosen at the first claim and kept.
  A second task, a retry or a second worker finds the row taken or done and sends nothing; what a dead worker
  leaves is taken over after the lease (`sending`) or marked `unknown` (`transmitting`), see its docstring.
* `smtp`: the SMTP conversation, step by step; refusals recorded per address (5xx `bounced`, never retried;
  4xx, a refused connection or a timeout `deferred`, retried with backoff by the queue).
* `tokens`: the personal link's token is never stored: it is derived from the row's random `link_key` and the
  app's SECRET_KEY (`derive_token`), so the worker can put the link in the mail (and in the reminder) while a
  stolen database still holds no usable link; signed unsubscribe tokens; opt-outs, honoured by every survey,
  checked when queueing and again when sending.
* `templates`: each survey's subject, text and HTML templates in Jinja's sandbox.
"""

from .queueing import (
    QueuedMail,
    answered_customers,
    mail_rows_problem,
    message_states,
    queue_invitations,
    queue_reminders,
    reminder_schedules,
    state_counts,
)
from .sending import (
    build_message,
    due_messages,
    lost_claims,
    send_message,
    send_pending,
    settle_lost_transmissions,
)
from .settings import (
    DEFAULT_LEASE_SECONDS,
    SMTP_TIMEOUT,
    MailDeferred,
    MailError,
    MailSettings,
    SmtpTarget,
    smtp_target,
)
from .smtp import Delivery, deliver
from .templates import (
    DEFAULT_HTML,
    DEFAULT_SUBJECT,
    DEFAULT_TEXT,
    SAMPLE,
    SUBJECT_LIMIT,
    TEMPLATE_LIMIT,
    TEMPLATE_VARIABLES,
    MailTemplates,
    RenderedMail,
    render_mail,
    save_templates,
    template_problems,
    templates_for,
)
from .tokens import (
    derive_token,
    is_opted_out,
    normal_address,
    opt_out,
    read_unsubscribe_token,
    unsubscribe_token,
)

__all__ = [
    "DEFAULT_HTML", "DEFAULT_LEASE_SECONDS", "DEFAULT_SUBJECT", "DEFAULT_TEXT", "SAMPLE", "SMTP_TIMEOUT",
    "SUBJECT_LIMIT", "TEMPLATE_LIMIT", "TEMPLATE_VARIABLES", "Delivery", "MailDeferred", "MailError",
    "MailSettings", "MailTemplates", "QueuedMail", "RenderedMail", "SmtpTarget", "answered_customers",
    "build_message", "deliver", "derive_token", "due_messages", "is_opted_out", "lost_claims", "mail_rows_problem",
    "message_states", "normal_address", "opt_out", "queue_invitations", "queue_reminders",
    "read_unsubscribe_token", "reminder_schedules", "render_mail", "save_templates", "send_message",
    "send_pending", "settle_lost_transmissions", "smtp_target", "state_counts", "template_problems",
    "templates_for", "unsubscribe_token",
]
