"""Planted responses for the results page's filter and cross-tab tests (issue 16): stored directly as rows of
the responses table (complete ones are counted into the tallies as they are inserted), with known days,
channels, versions, waves, languages and answers. Every expected number in the tests is worked out by hand from
`PLANTED` and `CROSS_TAB`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from webapp.services.publishing import publish_survey
from webapp.storage.models import Response, SurveyRecord, Wave

SLUG = "filtered_shop"
DEFINITION: dict[str, Any] = {
    "id": SLUG, "title": "Filtered shop", "default_language": "en", "languages": ["en", "fr"],
    "sections": [{"id": "main", "title": {"en": "About you", "fr": "Vous"}, "questions": [
        {"id": "q_plan", "type": "single_choice", "text": {"en": "Your plan", "fr": "Votre offre"},
         "choices": [{"code": "gold", "label": {"en": "Gold", "fr": "Or"}},
                     {"code": "silver", "label": {"en": "Silver", "fr": "Argent"}}]},
        {"id": "q_csat", "type": "csat", "text": {"en": "How satisfied are you?", "fr": "Êtes-vous satisfait ?"}},
        {"id": "q_why", "type": "text", "text": {"en": "Why?", "fr": "Pourquoi ?"}}]}]}

# (customer, version, channel, plan, CSAT, submitted on (2026, month, day), language, wave, comment)
PLANTED = [
    ("R1", 1, "email", "gold", 5, (1, 5), "en", 1, "great"),
    ("R2", 1, "email", "silver", 2, (1, 6), "en", 1, None),
    ("R3", 1, "sms", "gold", 4, (1, 20), "fr", 1, "bien"),
    ("R4", 2, "email", "gold", 3, (2, 2), "en", 2, None),
    ("R5", 2, "sms", "silver", 1, (2, 3), "fr", 2, "slow"),
    ("R6", 2, "sms", "gold", 5, (2, 10), "en", None, None),
]
# One partial response: version 2, e-mail, plan gold, started 2026-02-04, never submitted.
PARTIAL = ("P1", 2, "email", "gold", (2, 4))


def _at(month_day: tuple[int, int], hour: int = 12) -> datetime:
    return datetime(2026, month_day[0], month_day[1], hour, 0)


def plant_filtered(session: Session) -> None:
    """Publish `DEFINITION` twice (versions 1 and 2), start two waves and store `PLANTED` and `PARTIAL`."""
    survey = build_survey(DEFINITION)
    versions = {1: publish_survey(session, survey).id, 2: publish_survey(session, survey).id}
    record = session.scalar(sa.select(SurveyRecord).where(SurveyRecord.slug == SLUG))
    assert record is not None
    waves = {number: Wave(survey_id=record.id, version_id=versions[number], number=number, name=f"spring-{number}")
             for number in (1, 2)}
    session.add_all(waves.values())
    session.flush()
    for customer, version, channel, plan, csat, day, language, wave, comment in PLANTED:
        answers: dict[str, Any] = {"q_plan": plan, "q_csat": csat} | ({"q_why": comment} if comment else {})
        session.add(Response(version_id=versions[version], customer_id=customer, channel=channel, status="complete",
                             answers=answers, started_at=_at(day, 11), submitted_at=_at(day), language=language,
                             wave_id=waves[wave].id if wave else None))
    customer, version, channel, plan, day = PARTIAL
    session.add(Response(version_id=versions[version], customer_id=customer, channel=channel, status="partial",
                         answers={"q_plan": plan}, started_at=_at(day), language="en"))
    session.commit()


CROSS_SLUG = "crosstab_shop"
CROSS_DEFINITION: dict[str, Any] = {
    "id": CROSS_SLUG, "title": "Cross-tab shop",
    "sections": [{"id": "main", "title": "About you", "questions": [
        {"id": "q_plan", "type": "single_choice", "text": "Your plan",
         "choices": [{"code": "gold", "label": "Gold"}, {"code": "silver", "label": "Silver"}]},
        {"id": "q_csat", "type": "csat", "text": "How satisfied are you?"}]}]}
# Gold (e-mail): ten answers each of 5, 4 and 3 (n = 30). Silver (sms): 1, 2, 3 (n = 3, too few).
CROSS_TAB = [("gold", "email", value) for value in (5, 4, 3) for _ in range(10)] + [
    ("silver", "sms", 1), ("silver", "sms", 2), ("silver", "sms", 3)]


def plant_cross_tab(session: Session) -> None:
    version = publish_survey(session, build_survey(CROSS_DEFINITION))
    for number, (plan, channel, csat) in enumerate(CROSS_TAB):
        session.add(Response(version_id=version.id, customer_id=f"X{number}", channel=channel, status="complete",
                             answers={"q_plan": plan, "q_csat": csat}, started_at=_at((3, 2)),
                             submitted_at=_at((3, 2), 13), language="en"))
    session.commit()
