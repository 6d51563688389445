"""Responding: starting or resuming a response from a personal or public link, saving a page, submitting.

Every page is validated by `Survey.clean_section`, the one place the definition's rules live. Submitting is
idempotent: the row goes from partial to complete by a conditional UPDATE, and the database allows one
response per invitation and per public session key, so double clicks, retries and second tabs all end in
the same single response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.model import Survey
from surveys.not_applicable import (
    STORED_KEY,
    merge_not_applicable,
    not_applicable_of,
    replace_page,
    with_not_applicable,
)
from surveys.page_logic import (
    SCREENED_OUT_KEY,
    in_view,
    next_page,
    previous_page,
    screen_out_after,
    with_calculated,
)
from surveys.questions import AnswerError, MissingAnswer, MissingRows
from surveys.texts import localised, offered_language

from ..cases import service as cases
from ..storage.engine import short_read_options
from ..storage.models import Invitation, Response, SurveyVersion, utcnow
from ..storage.models import _response_wave as response_wave
from ..webhooks import service as webhooks
from ..webhooks import tasks as webhook_tasks
from . import case_tasks, tallies
from . import response_rows as rows
from .errors import ClosedSurvey, ExpiredLink, HostingError, UnknownLink
from .invitations import check_channel, find_invitation, unsign_customer_id
from .publishing import _SLUG as SLUG  # what a slug can be: anything else would be an error on PostgreSQL
from .publishing import latest_version, survey_of


@dataclass
class PageOutcome:
    """What became of a submitted page.

    `saved`: stored, go to `page` (the next page, or the one before after Back); `invalid`: show `page` again with `errors` (by question id) — the page
    just sent, nothing of it stored, or, when the final check on submit fails, an earlier page shown with
    `answers` (the stored answers); `complete`: the response was just submitted; `already_complete`: it had
    been submitted before.
    """

    kind: Literal["saved", "invalid", "complete", "already_complete"]
    page: int = 0
    errors: dict[str, AnswerError] = field(default_factory=dict)
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Held:
    """A response whose row this request's write transaction holds, locked, for `answer_page(..., held=)`: a POST
    reads the row once and saves the page in the same transaction (one transaction per POST). `row` has the
    columns of `response_rows.LOCKED` (None for a personal link's response that is complete: nothing is answered
    on it, the POST is answered with the thank-you page); `response` is the `Response` the page is built from."""

    response: Response
    row: Any | None


def survey_for(response: Response) -> Survey:
    """The survey version a response answers."""
    return survey_of(response.version)


def _reading(session: Session) -> None:
    """Begin the session's next transaction as a short read (`storage.engine.short_read_options`): on SQLite a
    deferred BEGIN instead of BEGIN IMMEDIATE, so looking a response or a link up does not queue for the write
    lock behind other respondents' saves (WAL gives the read a consistent snapshot); on PostgreSQL autocommit, so
    the look-up is one round trip, not three. Only for transactions that end without writing; a no-op when one
    is already open."""
    if not session.in_transaction():
        session.connection(execution_options=short_read_options(session.get_bind()))


def _settled(session: Session, response: Response) -> Response:
    """Load what the page needs, then end the transaction: on SQLite every transaction holds the write lock,
    so none may stay open while a page renders."""
    survey_for(response)
    session.commit()
    return response


def _insert_once(session: Session, response: Response, existing: sa.Select[Any]) -> Response:
    # The unique constraint decides between two first visits racing: the loser reads the winner's row.
    session.add(response)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        found: Response | None = session.scalar(existing)
        if found is None:
            raise
        return found
    return response


def start_personal(session: Session, token: str, *, hold: bool = False) -> Response:
    """The response of a personal link, created on the first visit. Ends the transaction, unless `hold`
    (`hold_personal`) keeps it open.

    Raises `UnknownLink` (404), `ClosedSurvey` or `ExpiredLink` (410). A complete response is returned as
    it is, so the page can say "you already answered, thank you".
    """
    invitation = find_invitation(session, token)
    if invitation is None:
        raise UnknownLink("this survey link is not valid; check that it was copied whole")
    existing = sa.select(Response).where(Response.invitation_id == invitation.id)
    response = session.scalar(existing)
    settled = (lambda found: found) if hold else (lambda found: _settled(session, found))
    if response is not None and response.status == "complete":
        return settled(response)
    if invitation.version.survey.closed_at is not None:
        raise ClosedSurvey("this survey is closed and takes no more answers")
    if invitation.expires_at is not None and utcnow() >= invitation.expires_at:
        raise ExpiredLink("this survey link has expired")
    if response is not None:
        return settled(response)
    return settled(_insert_once(session, _new_response(invitation.version, invitation), existing))


def _new_response(version: SurveyVersion, invitation: Invitation | None = None, **fields: Any) -> Response:
    now = utcnow()
    if invitation is not None:  # the personal link opens in the customer's language when the survey offers it
        fields |= {"invitation_id": invitation.id, "customer_id": invitation.customer_id,
                   "channel": invitation.channel,
                   "language": offered_language(survey_of(version), invitation.language)}
    return Response(version_id=version.id, version=version, status="partial", answers={}, current_page=0,
                    started_at=now, updated_at=now, **fields)


class PublicLinkOff(HostingError):
    """The survey's public link is switched off (its personal links keep working)."""

    status = 404
    title = "This link is not in use"


def find_public(session: Session, slug: str, session_key: str | None) -> Response | None:
    """The response a public respondent started with this session key, if any; `ClosedSurvey` or `PublicLinkOff`
    when it is still partial and the survey has been closed or its public link switched off since."""
    if not session_key:
        return None
    _reading(session)
    row = _public_row(session, rows.BY_SESSION_KEY, slug, session_key)
    return None if row is None else _settled(session, rows.response_of(session, row))


def hold_public(session: Session, slug: str, session_key: str) -> Held | None:
    """For a POST: the response a public respondent started with this session key, its row locked in a write
    transaction left open for `answer_page(..., held=)`; None (the transaction ended) when there is none. Raises
    as `find_public` does."""
    row = _public_row(session, rows.LOCKED_BY_SESSION_KEY, slug, session_key)
    return None if row is None else Held(rows.response_of(session, row), row)


def _public_row(session: Session, statement: sa.Select[Any], slug: str, session_key: str) -> Any:
    """The row of `statement` for a session key on `slug`, checked as `find_public` says; the transaction is
    ended when there is no row or a check fails, and left open otherwise."""
    row = session.execute(statement, {"session_key": session_key}).first()
    if row is None or row.slug != slug:
        session.commit()
        return None
    if row.status == "partial" and row.closed_at is not None:
        session.commit()
        raise ClosedSurvey("this survey is closed and takes no more answers")
    if row.status == "partial" and not row.public_link:
        session.commit()
        raise _public_link_off()
    return row


def _public_link_off() -> PublicLinkOff:
    return PublicLinkOff("this survey does not take answers through its public link; if you were sent a "
                         "personal link, use that one")


@dataclass(frozen=True)
class PublicStart:
    """What a public link would start: the survey version, the channel and the (verified) customer id."""

    version: SurveyVersion
    channel: str | None
    customer_id: str | None


def check_public(session: Session, slug: str, query: Mapping[str, str], *, secret_key: str | bytes,
                 max_age: float) -> PublicStart:
    """Check the public link of `slug` with its query string, storing nothing (a visit that only looks at
    the first page leaves no row). Ends the transaction.

    `query` holds `channel`, and under the definition's `customer_id_param`, when it names one, the customer id
    signed by `invitations.sign_customer_id` (at most `max_age` seconds old). Raises `UnknownSurvey` or
    `PublicLinkOff` (404), `ClosedSurvey` (410), `UnsignedCustomerId` (400) for a customer id that is not
    signed for this survey or has expired, or `HostingError` (400) for an unknown channel or a missing id.
    """
    _reading(session)
    version = _open_public_version(session, slug)
    session.commit()
    return _link_start(version, slug, query, secret_key=secret_key, max_age=max_age)


def _link_start(version: SurveyVersion, slug: str, query: Mapping[str, str], *, secret_key: str | bytes,
                max_age: float) -> PublicStart:
    """The checks of `check_public` on the link's query, once the version is known (no database)."""
    survey = survey_of(version)
    channel = query.get("channel") or None
    check_channel(survey, channel)
    customer_id = None
    if survey.customer_id_param:
        value = (query.get(survey.customer_id_param) or "").strip()
        if not value:
            raise HostingError(f"this link needs a customer id in its {survey.customer_id_param!r} parameter")
        customer_id = unsign_customer_id(secret_key, slug, value, max_age)
    return PublicStart(version, channel, customer_id)


def _open_public_version(session: Session, slug: str) -> SurveyVersion:
    """The newest version of `slug` (a transient one, `response_rows.version_of`) when the survey is open and its
    public link on; else the error `latest_version` gives (unknown, closed) or `PublicLinkOff`. Leaves the
    transaction open."""
    row = session.execute(rows.LATEST_VERSION, {"slug": slug}).first() if SLUG.match(slug) else None
    if row is None or row.closed_at is not None:  # the error, with its message (or what was published since)
        found = latest_version(session, slug, open_only=True)
        public_link, version = found.survey.public_link, found
    else:
        public_link, version = row.public_link, rows.version_of(session, row.id, row.survey_id, row.published_at)
    if not public_link:
        session.commit()
        raise _public_link_off()
    return version


def start_public(session: Session, slug: str, session_key: str, query: Mapping[str, str], *,
                 secret_key: str | bytes, max_age: float) -> Held:
    """Start a response on the public link of `slug` for a new session key (latest version), checked as
    `check_public` checks it; called on the respondent's first POST, never on a GET. The new row is held in the
    write transaction, left open for `answer_page(..., held=)` to save the first page in (one transaction per
    POST). Idempotent per session key: a second call (a double click) holds the response the first one made."""
    # One write transaction: the link checked as `check_public` checks it, the new response's wave, the row,
    # then the page's answers.
    try:
        start = _link_start(_open_public_version(session, slug), slug, query, secret_key=secret_key,
                            max_age=max_age)
    except HostingError:  # no write lock kept while the error page is made
        session.rollback()
        raise
    now = utcnow()
    values: dict[str, Any] = {
        "version_id": start.version.id, "invitation_id": None, "session_key": session_key, "customer_id":
        start.customer_id, "channel": start.channel, "status": "partial", "answers": {}, "current_page": 0,
        "started_at": now, "updated_at": now, "submitted_at": None, "wave_id": None, "language": None}
    try:
        wave = SimpleNamespace(**values)
        response_wave(None, session.connection(), wave)  # the wave every new response takes (storage.models)
        response_id = rows.insert_response(session, **values | {"wave_id": wave.wave_id})
    except IntegrityError:  # a double click: the unique session key kept the first one's response
        session.rollback()
        found = hold_public(session, slug, session_key)
        if found is None:
            raise
        return found
    return _hold(session, response_id)


def hold_personal(session: Session, token: str) -> Held:
    """For a POST: the response of a personal link (created when the link was never opened), checked as
    `start_personal` checks it, its row locked in a write transaction left open for `answer_page(..., held=)`."""
    response = start_personal(session, token, hold=True)
    return Held(response, None) if response.status == "complete" else _hold(session, response.id)


def _hold(session: Session, response_id: int) -> Held:
    row = session.execute(rows.LOCKED, {"response_id": response_id}).one_or_none()
    if row is None:
        session.rollback()
        raise UnknownLink("this response no longer exists")
    return Held(rows.response_of(session, row), row)


def earlier_answers(survey: Survey, answers: Mapping[str, Any], page: int) -> dict[str, Any]:
    """The stored answers of the pages before `page` that the respondent sees, with the values calculated over
    them (what show_if on this page may refer to: `surveys.page_logic.in_view`); "Not applicable" is left out (a
    condition reads it as unanswered)."""
    return in_view(survey, answers, page)


def answer_page(session: Session, response_id: int, page: int, raw: Mapping[str, Any], *,
                language: str | None = None, back: bool = False, held: Held | None = None) -> PageOutcome:
    """Validate and store one page of answers; on the last page, submit the response. Commits (also when
    nothing of the page is stored: what the held transaction did before, e.g. the new row of a public link's
    first POST, is kept).

    `held`: the response's row as this transaction already holds it (`hold_public`, `hold_personal`,
    `start_public`), so it is not read again; else the row is read and locked here.

    `raw` holds the page's raw answers by question id (as the field factories read them from the form).
    Nothing is stored when any answer is invalid. A complete response is never changed. `language`, one the
    survey is offered in, is recorded as the response's language, and error messages name rows in it.

    `back`: the respondent pressed Back. What they gave on the page is stored without asking for the required
    questions still blank (nothing typed is lost), and the outcome is the page before; an answer that is
    invalid (a choice the page never offered, a text too long) still shows the page again with its error.
    """
    # The row's current state, locked, as plain columns (one statement built once: `response_rows`); the
    # version's parsed survey is the process's (versions never change).
    response = (held or _hold(session, response_id)).row
    if response is None or response.status == "complete":  # None: held complete (`Held.row`)
        session.commit()
        return PageOutcome("already_complete")
    survey = survey_of(rows.version_of(session, response.version_id, response.survey_id, response.published_at))
    language = offered_language(survey, language)
    recorded = {"language": language} if language else {}
    survey = localised(survey, language)  # the same rules; messages naming rows name them in that language
    if not 0 <= page <= min(response.current_page, len(survey.sections) - 1):
        session.commit()
        raise HostingError(f"page {page + 1} cannot be answered yet; go back to page {response.current_page + 1}")
    section = survey.sections[page]
    stored = dict(response.answers or {})
    cleaned, errors = survey.clean_section(section, raw, earlier_answers(survey, stored, page))
    if back:  # only what was given must be valid: blank required questions and grid rows can wait (an invalid
        # answer, e.g. a ranking with a gap, stops Back with its error rather than being dropped, which would
        # delete the answer stored before)
        errors = {key: error for key, error in errors.items() if not isinstance(error, MissingAnswer | MissingRows)}
    if errors:
        session.commit()
        return PageOutcome("invalid", page, errors, stored)
    answers = replace_page(stored, cleaned, {q.id for q in section.questions})
    now = utcnow()
    if back:
        _update_partial(session, response_id, answers=answers, updated_at=now, **recorded)
        session.commit()
        return PageOutcome("saved", previous_page(survey, page, answers))  # over pages that page logic hides
    following = next_page(survey, page, answers)
    screened_out = screen_out_after(survey, in_view(survey, answers, page + 1))
    if following is not None and screened_out is None:
        _update_partial(session, response_id, answers=answers, updated_at=now,
                        current_page=max(response.current_page, following), **recorded)
        session.commit()
        return PageOutcome("saved", following)
    final, failed_page, final_errors = recheck(survey, answers, through=page if screened_out else None)
    if screened_out is not None:  # stored complete (the status column allows partial and complete only)
        final[SCREENED_OUT_KEY] = screened_out.id
    if final_errors:
        # An answer changed on an earlier page can make a later question required: send them there.
        _update_partial(session, response_id, answers=answers, updated_at=now, **recorded)
        session.commit()
        return PageOutcome("invalid", failed_page, final_errors, answers)
    if not _update_partial(session, response_id, answers=final, updated_at=now, current_page=page,
                           status="complete", submitted_at=now, **recorded):
        session.commit()
        return PageOutcome("already_complete")
    if response.invitation_id is not None:
        session.execute(
            sa.update(Invitation)
            .where(Invitation.id == response.invitation_id, Invitation.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
    # Who listens to a submit was read with the row: a survey without a churn-risk rule, follow-up rules or
    # webhooks pays for none of their lookups.
    opened = (cases.open_cases(session, response_id, survey, final, now=now)  # follow-up rules, same transaction
              if response.risk_rule or survey.matching_follow_ups(final) else [])
    # The results page's counts, last: the tally rows this locks are shared by every submit of the survey.
    tallies.count_complete_response(session, survey, final, version_id=response.version_id,
                                    channel=response.channel, wave_id=response.wave_id,
                                    started_at=response.started_at, submitted_at=now)
    deliveries = webhooks.emit(session, "response.completed", {
        "response_id": response_id, "survey": survey.id, "customer_id": response.customer_id,
        "channel": response.channel, "submitted_at": now.isoformat(timespec="seconds") + "Z", "answers": final,
    }) if response.subscribed else []
    for case_id in opened if response.subscribed else ():
        deliveries += webhooks.emit(session, "case.created", {"case_id": case_id, "response_id": response_id,
                                                              "survey": survey.id})
    session.commit()
    case_tasks.notify_later(opened)
    webhook_tasks.deliver_later(deliveries)
    return PageOutcome("complete", page)


def _update_partial(session: Session, response_id: int, **values: Any) -> bool:
    """UPDATE the response only while it is partial; False when it was already complete."""
    return rows.update_partial(session, response_id, **values)


def recheck(survey: Survey, answers: Mapping[str, Any], *,
            through: int | None = None) -> tuple[dict[str, Any], int, dict[str, AnswerError]]:
    """Run every page's rules again over the stored answers, in order (up to page `through`, for a response a
    screen-out ends there); drops answers (and "Not applicable" choices) to questions that later answers hid, and
    to pages that page logic hides; adds the calculated values. Returns (final answers, first page with errors,
    its errors)."""
    raw = with_not_applicable(answers)
    final: dict[str, Any] = {}
    skipped: list[str] = []
    for index, section in enumerate(survey.sections[:None if through is None else through + 1]):
        cleaned, errors = survey.clean_section(section, raw, final)
        if errors:
            return merge_not_applicable(final, skipped), index, errors
        skipped += not_applicable_of(cleaned)
        final |= {key: value for key, value in cleaned.items() if key != STORED_KEY}
    return with_calculated(survey, merge_not_applicable(final, skipped)), -1, {}


def customer_fields(session: Session, response: Response) -> dict[str, str | None]:
    """The customer fields a survey's texts may show (`{{ customer.id }}`, `{{ customer.name }}`): the id, and the
    name from the personal link's customer list. Ends the transaction it begins (one already open, e.g. a
    POST's held one, goes on)."""
    name = None
    if response.invitation_id is not None:
        began = not session.in_transaction()
        _reading(session)
        name = session.scalar(sa.select(Invitation.customer_name).where(Invitation.id == response.invitation_id))
        if began:
            session.commit()
    return {"id": response.customer_id, "name": name}
