"""Keeping the results page's tallies (`answer_tallies`, webapp/services/tallies.py) exact while responses are
erased, deleted or anonymised: each complete response leaves what it added (`tally_rows` of its version and
answers), and an anonymised one has the difference between its old and new answers applied. A row whose count
reaches 0 is removed, as a rebuild would not have made it. Done in the caller's transaction, with one UPDATE
per key that adds to what is stored when it writes, so a submit counting the same row meanwhile is not lost."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.errors import CxroiError
from surveys.model import Survey

from ..services.publishing import survey_of
from ..services.tallies import KEY_COLUMNS, tally_rows
from ..storage.models import SurveyVersion

log = logging.getLogger(__name__)
_tallies = sa.table("answer_tallies", *(sa.column(name) for name in (*KEY_COLUMNS, "count")))
Key = tuple[Any, ...]


class VersionSurveys:
    """The `Survey` of each version asked for, built once; None for a version today's rules cannot read (its
    responses were never counted, see `rebuild_tallies`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[int, Survey | None] = {}

    def __call__(self, version_id: int) -> Survey | None:
        if version_id not in self.found:
            try:
                self.found[version_id] = survey_of(self.session.get_one(SurveyVersion, version_id))
            except CxroiError as error:
                log.warning("privacy: survey version %s is not readable under today's rules: %s", version_id,
                            str(error)[:300])
                self.found[version_id] = None
        return self.found[version_id]


def keys_of(survey: Survey, row: Mapping[str, Any], answers: Mapping[str, Any]) -> Counter[Key]:
    """The tally keys one complete response (`row`: version_id, channel, wave_id, started_at, submitted_at)
    with `answers` adds, each counted once."""
    return Counter(tuple(found[column] for column in KEY_COLUMNS) for found in tally_rows(
        survey, answers, version_id=row["version_id"], channel=row["channel"], wave_id=row["wave_id"],
        started_at=row["started_at"], submitted_at=row["submitted_at"]))


def uncount(session: Session, surveys: VersionSurveys, removed: Iterable[Mapping[str, Any]]) -> int:
    """Take the complete responses among `removed` (rows of `responses` as deleted) out of the tallies;
    returns how many were taken out."""
    change: Counter[Key] = Counter()
    taken = 0
    for row in removed:
        survey = surveys(row["version_id"]) if row["status"] == "complete" else None
        if survey is not None:
            change.update(keys_of(survey, row, row["answers"] or {}))
            taken += 1
    apply_change(session, {key: -count for key, count in change.items()})
    return taken


def apply_change(session: Session, change: Mapping[Key, int]) -> None:
    """Add each (possibly negative) amount to its tally row, then remove the rows left at 0 or below. A gain
    on a key not stored yet (rare: an anonymised answer whose scored columns differ) inserts its row."""
    changes = [dict(zip(KEY_COLUMNS, key, strict=True)) | {"delta": delta}
               for key, delta in sorted(change.items()) if delta]
    if not changes:
        return
    where = sa.and_(*(_tallies.c[column] == sa.bindparam(f"k_{column}") for column in KEY_COLUMNS))
    statement = _tallies.update().where(where).values(count=_tallies.c["count"] + sa.bindparam("delta"))
    params = [{f"k_{column}": found[column] for column in KEY_COLUMNS} | {"delta": found["delta"]}
              for found in changes]
    losses = [found for found in params if found["delta"] < 0]
    if losses:
        session.execute(statement, losses)
    for gain, found in ((p, c) for p, c in zip(params, changes, strict=True) if p["delta"] > 0):
        if session.execute(statement, gain).rowcount == 0:
            session.execute(_tallies.insert().values({column: found[column] for column in KEY_COLUMNS}
                                                     | {"count": found["delta"]}))
    versions = sorted({found["version_id"] for found in changes})
    session.execute(_tallies.delete().where(_tallies.c.version_id.in_(versions), _tallies.c["count"] <= 0))
