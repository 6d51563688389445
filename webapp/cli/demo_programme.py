"""The programme part of `cxroi demo`: a wave of e-mail invitations with the mail captured to files (the log
backend: no SMTP server needed), and a follow-up case opened by the demo survey's rule for a stored response
whose answers match it, its owner's notification captured too. Everything through the same services the
commands and pages use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.model import FollowUpRule, Survey

from ..cases import notifications
from ..cases import service as cases
from ..services import mailing
from ..services.customer_lists import read_customer_list
from ..services.waves import start_wave
from ..storage.models import FollowUpCase, MailMessage, Response, SurveyRecord, SurveyVersion

AGENT = "agent@demo.cxroi"
RULE = FollowUpRule(id="hard_to_deal_with", when="q_ces <= 2", priority="high", owner=AGENT,
                    note="Call the customer back within a day: they found us hard to deal with.")
WAVE_CUSTOMERS = (b"customer_id,email,name\n"
                  b"demo-wave-1,ada@example.com,Ada Lovelace\n"
                  b"demo-wave-2,grace@example.com,Grace Hopper\n"
                  b"demo-wave-3,alan@example.com,Alan Turing\n")


def with_follow_up(survey: Survey) -> Survey:
    """The demo survey with its follow-up rule (published so; the owner's account must exist first)."""
    return survey.model_copy(update={"follow_up": [RULE]})


@dataclass(frozen=True)
class DemoProgramme:
    wave_name: str
    invitations: int
    captured: list[Path]
    case_id: int | None
    case_customer: str | None


def run_programme(session: Session, slug: str, survey: Survey, *, secret_key: str, base_url: str,
                  mail_folder: Path) -> DemoProgramme:
    """Start a wave by e-mail and capture its mail as .eml files; open the follow-up case of the first stored
    response that matches the rule and capture the owner's notification."""
    wave = start_wave(session, slug, read_customer_list(WAVE_CUSTOMERS, name="demo wave customers"),
                      name="demo wave 1", channel="email", send=True, secret_key=secret_key, contact_days=0)
    settings = mailing.MailSettings(None, "CX team <cx@demo.cxroi>", base_url, secret_key)
    mail_folder.mkdir(parents=True, exist_ok=True)
    captured: list[Path] = []
    for message_id in wave.message_ids:
        row = session.get_one(MailMessage, message_id)
        path = mail_folder / f"invitation-{row.invitation.customer_id}.eml"
        path.write_bytes(bytes(mailing.build_message(session, row, settings)))
        captured.append(path)
    mailing.send_pending(session, settings, wave.message_ids)  # the log backend: recorded as not sent

    case_id, customer = _open_demo_case(session, slug, survey)
    if case_id is not None:
        case = session.get_one(FollowUpCase, case_id)
        path = mail_folder / f"case-{case_id}-notification.eml"
        path.write_bytes(bytes(notifications.build_notification(session, case, settings, AGENT)))
        captured.append(path)
        notifications.send_notification(session, case_id, settings)
    return DemoProgramme(wave.name, len(wave.message_ids), captured, case_id, customer)


def _open_demo_case(session: Session, slug: str, survey: Survey) -> tuple[int | None, str | None]:
    rows = session.execute(
        sa.select(Response.id, Response.customer_id, Response.answers)
        .join(SurveyVersion, Response.version_id == SurveyVersion.id)
        .join(SurveyRecord, SurveyVersion.survey_id == SurveyRecord.id)
        .where(SurveyRecord.slug == slug, Response.status == "complete")
        .order_by(Response.id).limit(500)).all()
    for response_id, customer, answers in rows:
        if survey.matching_follow_ups(answers or {}):
            opened = cases.open_cases(session, response_id, survey, answers or {})
            session.commit()
            return (opened[0] if opened else None), customer
    session.commit()
    return None, None
