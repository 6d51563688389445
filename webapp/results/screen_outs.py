"""The screened-out responses of the results pages: complete responses a `screen_out` rule ended early.

A screened-out response is stored with the status `complete` (the status column allows partial and complete
only) and told apart by its answers: the rule's id under `_screened_out` (`surveys.page_logic.SCREENED_OUT_KEY`,
docs/definition-format.md, "Page logic"). The results pages show such responses apart from the complete ones
that went to the end: they are neither a completion nor a drop-off, so the completion rate leaves them out
(`ResponseCounts`).

They are counted here in SQL from that key (SQLite's `json_extract`, PostgreSQL's `->>`), over the complete
responses of the versions whose definition has screen-out rules only: a survey without them costs one indexed
look-up of its versions and nothing else; one with them reads its complete responses' answers once per page
view (docs/web-results.md, "Screened-out responses"). No status of its own and no migration: the respondent path
and the tallies stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.page_logic import SCREENED_OUT_KEY

from ..services.export_rows import reading
from ..services.waves import waves_of
from ..storage.models import Response, SurveyRecord, SurveyVersion
from .filters import ResultFilters, where_of

NO_CHANNEL = "(no channel)"
Where = Sequence[sa.ColumnElement[bool]]


@dataclass(frozen=True)
class ScreenOuts:
    """The screened-out responses of one survey (those matching the page's filters)."""

    total: int = 0
    by_channel: Mapping[str, int] = field(default_factory=dict)
    """Channel (`NO_CHANNEL` when none) → screened-out responses."""
    by_rule: Mapping[str, int] = field(default_factory=dict)
    """The screen-out rule's id → responses it ended."""


@dataclass(frozen=True)
class ResponseCounts:
    """The response counts of a results page, with the screened-out responses apart from the complete ones."""

    started: int
    complete: int
    """Complete responses that went to the end (not screened out)."""
    screened_out: int
    partial: int

    @classmethod
    def of(cls, complete: int, partial: int, screened_out: int) -> ResponseCounts:
        """From the summary's counts: `complete` holds the screened-out responses too."""
        return cls(complete + partial, complete - screened_out, screened_out, partial)

    @property
    def completion_rate(self) -> float | None:
        """Share of the eligible started responses that went to the end (0–1): complete / (complete + partial).
        A screened-out respondent was stopped as outside the survey's population, neither a completion nor a
        drop-off, so is outside both; None when no eligible response started."""
        eligible = self.complete + self.partial
        return self.complete / eligible if eligible else None


def screened_out_rule() -> sa.ColumnElement[str]:
    """The screen-out rule's id of a response, NULL when it was not screened out (SQLite and PostgreSQL)."""
    return Response.answers[SCREENED_OUT_KEY].as_string()


def _versions_with_rules(version_ids: Sequence[int] | None = None) -> sa.Select[tuple[int]]:
    """The ids of the versions (among `version_ids`, every one when None) whose definition has `screen_out`."""
    query = sa.select(SurveyVersion.id).where(SurveyVersion.definition["screen_out"].as_string().is_not(None))
    return query.where(SurveyVersion.id.in_(version_ids)) if version_ids is not None else query


def count_screen_outs(session: Session, version_ids: Sequence[int], where: Where = ()) -> ScreenOuts:
    """The screened-out responses among the complete responses of `version_ids` matching `where` (the page's
    filters, `webapp.results.filters.where_of`), by channel and by rule."""
    with reading(session) as reader:
        with_rules = list(reader.scalars(_versions_with_rules(version_ids)))
        if not with_rules:
            return ScreenOuts()
        rule = screened_out_rule()
        query = (sa.select(Response.channel, rule, sa.func.count())
                 .where(Response.version_id.in_(with_rules), Response.status == "complete", rule.is_not(None), *where)
                 .group_by(Response.channel, rule))
        by_channel: dict[str, int] = {}
        by_rule: dict[str, int] = {}
        for channel, rule_id, count in reader.execute(query):
            by_channel[channel or NO_CHANNEL] = by_channel.get(channel or NO_CHANNEL, 0) + count
            by_rule[str(rule_id)] = by_rule.get(str(rule_id), 0) + count
    return ScreenOuts(sum(by_channel.values()), dict(sorted(by_channel.items())), dict(sorted(by_rule.items())))


def survey_screen_outs(session: Session, slug: str, filters: ResultFilters) -> ScreenOuts:
    """The screened-out responses of survey `slug` that `filters` (already checked) keep."""
    versions = {v.id: v for v in session.scalars(sa.select(SurveyVersion).join(SurveyRecord)
                                                 .where(SurveyRecord.slug == slug))}
    return count_screen_outs(session, list(versions), where_of(filters, versions, waves_of(session, slug)))


def screen_outs_by_survey(session: Session) -> dict[str, int]:
    """Survey slug → its screened-out responses, for the list of results (surveys without rules are not read)."""
    rule = screened_out_rule()
    query = (sa.select(SurveyRecord.slug, sa.func.count(Response.id))
             .join(SurveyVersion, SurveyVersion.survey_id == SurveyRecord.id)
             .join(Response, Response.version_id == SurveyVersion.id)
             .where(SurveyVersion.id.in_(_versions_with_rules()), Response.status == "complete", rule.is_not(None))
             .group_by(SurveyRecord.slug))
    with reading(session) as reader:
        return {slug: int(count) for slug, count in reader.execute(query)}
