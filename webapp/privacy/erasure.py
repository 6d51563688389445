"""Erasing one customer on request (`cxroi customers erase`, the admin page /admin/privacy): every response,
invitation (with its e-mails), follow-up case (with its notes), coded theme and webhook delivery about the
customer is deleted, the customer's row leaves each stored outcomes file of the report jobs (and their id the
reports' results and messages) and each recurring wave's customer list, and the tallies lose exactly what the
customer's complete responses added. One transaction: all of it, with its audit event (the customer named by
a keyed hash only), or nothing.

Why delete rather than anonymise the responses: an erasure request is about a person, and an anonymised
response that keeps its answers, times, channel and wave can still point at them in a small survey; deleting
leaves nothing to re-identify, and the tallies (the results page) are decremented by exactly what was counted.
docs/security.md ("Privacy") records this and the other choices (opt-outs, report results).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.errors import CxroiError

from ..audit.service import record
from ..storage.models import (
    CaseNote,
    FollowUpCase,
    Invitation,
    MailMessage,
    MailOptOut,
    Response,
    WaveSchedule,
)
from ..themes.models import ResponseThemes
from ..webhooks.models import WebhookDelivery
from .counting import VersionSurveys, uncount
from .files import OutcomesEdit, ReportMentions, customer_lists_without, outcomes_without, report_mentions
from .keys import erased_customer_target, hashed_opt_out

KINDS = ("responses", "invitations", "mail_messages", "cases", "case_notes", "coded_themes",
         "webhook_deliveries", "wave_schedule_rows", "report_outcome_rows", "report_mentions", "opt_outs_hashed")
"""What an erasure counts, in the order the preview lists it."""
CUSTOMER_ID_LIMIT = 200


class ErasureError(CxroiError):
    """An erasure that cannot be done (an unknown customer, a blank id): nothing was changed."""

    exit_code = 1


@dataclass
class ErasurePlan:
    """What erasing one customer touches: row ids per table, and the edits of stored files."""

    customer_id: str
    response_ids: list[int] = field(default_factory=list)
    invitation_ids: list[int] = field(default_factory=list)
    mail_message_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    case_note_ids: list[int] = field(default_factory=list)
    theme_ids: list[int] = field(default_factory=list)
    delivery_ids: list[int] = field(default_factory=list)
    schedules: dict[int, str] = field(default_factory=dict)
    """Recurring waves whose customer list names the customer: id → the list without the customer's rows."""
    schedule_rows: int = 0
    reports: list[OutcomesEdit] = field(default_factory=list)
    mentions: list[ReportMentions] = field(default_factory=list)
    """Report jobs whose results or texts name the customer (an unmatched respondents' sample, a message)."""
    opt_out_ids: list[int] = field(default_factory=list)
    """Opt-outs of the customer's addresses: kept as a keyed hash, so they are still never mailed
    (docs/security.md)."""

    @property
    def counts(self) -> dict[str, int]:
        return {"responses": len(self.response_ids), "invitations": len(self.invitation_ids),
                "mail_messages": len(self.mail_message_ids), "cases": len(self.case_ids),
                "case_notes": len(self.case_note_ids), "coded_themes": len(self.theme_ids),
                "webhook_deliveries": len(self.delivery_ids), "wave_schedule_rows": self.schedule_rows,
                "report_outcome_rows": sum(edit.removed for edit in self.reports),
                "report_mentions": sum(found.removed for found in self.mentions),
                "opt_outs_hashed": len(self.opt_out_ids)}

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def check_customer_id(customer_id: str) -> str:
    """The id as stored (stripped), or `ErasureError` for a blank or over-long one."""
    value = (customer_id or "").strip()
    if not value:
        raise ErasureError("customer id: give the id of the customer to erase")
    if len(value) > CUSTOMER_ID_LIMIT:
        raise ErasureError(f"customer id: longer than {CUSTOMER_ID_LIMIT} characters, so no customer has it")
    return value


def plan_erasure(session: Session, customer_id: str) -> ErasurePlan:
    """Everything stored about `customer_id` (read only). Raises `ErasureError` when nothing is: the id is
    unknown (or was erased already)."""
    plan = ErasurePlan(check_customer_id(customer_id))
    cid = plan.customer_id
    plan.invitation_ids = _ids(session, sa.select(Invitation.id).where(Invitation.customer_id == cid))
    plan.response_ids = _ids(session, sa.select(Response.id).where(sa.or_(
        Response.customer_id == cid, Response.invitation_id.in_(plan.invitation_ids))))
    plan.mail_message_ids = _ids(session, sa.select(MailMessage.id).where(
        MailMessage.invitation_id.in_(plan.invitation_ids)))
    plan.case_ids = _ids(session, sa.select(FollowUpCase.id).where(sa.or_(
        FollowUpCase.customer_id == cid, FollowUpCase.response_id.in_(plan.response_ids))))
    plan.case_note_ids = _ids(session, sa.select(CaseNote.id).where(CaseNote.case_id.in_(plan.case_ids)))
    plan.theme_ids = _ids(session, sa.select(ResponseThemes.id).where(
        ResponseThemes.response_id.in_(plan.response_ids)))
    plan.delivery_ids = deliveries_about(session, plan.response_ids, plan.case_ids)
    lists = session.execute(sa.select(WaveSchedule.id, WaveSchedule.customers_csv)).all()
    for schedule_id, text, removed in customer_lists_without(lists, cid):
        plan.schedules[schedule_id] = text
        plan.schedule_rows += removed
    plan.reports = outcomes_without(session, cid)
    plan.mentions = report_mentions(session, cid)
    addresses = set(session.scalars(sa.select(MailMessage.email).where(MailMessage.id.in_(plan.mail_message_ids))))
    plan.opt_out_ids = _ids(session, sa.select(MailOptOut.id).where(
        MailOptOut.email.in_({address.strip().lower() for address in addresses})))
    if plan.empty:
        raise ErasureError(f"customer id {cid[:80]!r}: no response, invitation, case or stored outcome row has "
                           "this id (unknown, or erased already); nothing was changed")
    return plan


def erase_customer(session: Session, customer_id: str, *, secret_key: str | bytes, actor: str,
                   client: str = "") -> ErasurePlan:
    """Erase `customer_id` (see the module docstring) and record `customer_erased` in the audit log with the
    counts; commits. Returns what was erased. Raises `ErasureError` (nothing changed) for an unknown id."""
    try:
        plan = plan_erasure(session, customer_id)
        delete_rows(session, CaseNote, plan.case_note_ids)
        delete_rows(session, FollowUpCase, plan.case_ids)
        delete_rows(session, ResponseThemes, plan.theme_ids)
        delete_rows(session, WebhookDelivery, plan.delivery_ids)
        delete_responses(session, plan.response_ids)
        delete_rows(session, MailMessage, plan.mail_message_ids)
        delete_rows(session, Invitation, plan.invitation_ids)
        for schedule_id, text in plan.schedules.items():
            # a list left with no customer stops its schedule (its next wave would have no one to invite)
            stop = {} if _has_rows(text) else {"active": False}
            session.execute(sa.update(WaveSchedule).where(WaveSchedule.id == schedule_id).values(
                customers_csv=text, **stop))
        for edit in [*plan.reports, *plan.mentions]:
            edit.apply(session)
        _hash_opt_outs(session, plan.opt_out_ids, secret_key)
        record(session, "customer_erased", actor=actor, client=client,
               target=erased_customer_target(secret_key, plan.customer_id), detail=plan.counts)
        session.commit()
    except sa.exc.IntegrityError:  # a case or response of the customer was stored meanwhile: nothing erased
        session.rollback()
        raise ErasureError(f"customer id {customer_id.strip()[:80]!r}: their data changed while it was being erased "
                           "(a response or case was just stored); nothing was changed, erase again") from None
    except BaseException:
        session.rollback()
        raise
    return plan


def delete_responses(session: Session, response_ids: Sequence[int], *,
                     surveys: VersionSurveys | None = None) -> int:
    """Delete these responses (whatever refers to them must be gone already) and take the complete ones out
    of the tallies, by what the DELETE actually removed (a submit completing one meanwhile included)."""
    if not response_ids:
        return 0
    table = Response.__table__
    removed = session.execute(table.delete().where(table.c.id.in_(list(response_ids))).returning(
        table.c.id, table.c.version_id, table.c.status, table.c.channel, table.c.wave_id, table.c.answers,
        table.c.started_at, table.c.submitted_at)).mappings().all()
    uncount(session, surveys or VersionSurveys(session), removed)
    return len(removed)


def deliveries_about(session: Session, response_ids: Iterable[int], case_ids: Iterable[int]) -> list[int]:
    """Webhook deliveries whose body is about one of these responses or cases (`response.completed` carries the
    customer id and answers; `case.created` the response)."""
    responses, cases = set(response_ids), set(case_ids)
    if not responses and not cases:
        return []
    import json

    found = []
    query = (sa.select(WebhookDelivery.id, WebhookDelivery.body)
             .where(WebhookDelivery.event.in_(("response.completed", "case.created")))
             .execution_options(yield_per=1000))
    for delivery_id, body in session.execute(query):
        data = _data(json.loads(body))
        if data.get("response_id") in responses or data.get("case_id") in cases:
            found.append(delivery_id)
    return found


def _hash_opt_outs(session: Session, opt_out_ids: Sequence[int], secret_key: str | bytes) -> None:
    """Each opt-out keeps suppressing its address, stored from now on as the address's keyed hash (a hash
    stored already, from an earlier erasure of the same address, makes the row redundant: deleted)."""
    for opt_out in session.scalars(sa.select(MailOptOut).where(MailOptOut.id.in_(list(opt_out_ids)))):
        hashed = hashed_opt_out(secret_key, opt_out.email)
        if session.scalar(sa.select(MailOptOut.id).where(MailOptOut.email == hashed)) is not None:
            session.delete(opt_out)
        else:
            opt_out.email = hashed
    session.flush()


def _data(body: Any) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def _has_rows(text: str) -> bool:
    return len([line for line in text.splitlines() if line.strip()]) > 1


def _ids(session: Session, query: sa.Select[Any]) -> list[int]:
    return sorted(session.scalars(query))


def delete_rows(session: Session, model: Any, ids: Sequence[int]) -> None:
    if ids:
        session.execute(sa.delete(model).where(model.id.in_(list(ids))).execution_options(
            synchronize_session=False))
