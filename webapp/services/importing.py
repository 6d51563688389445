"""Import: responses collected elsewhere (a CSV/XLSX/Parquet wide table, e.g. from another tool or the demo)
stored as responses to the latest version of a published survey.

Each row is read back into answers with the definition's rules (`Survey.from_row`). The file is checked
whole before anything is stored: one bad row refuses the import with every problem named by row and
column, and nothing is written. Rows carry their own `response_id`; importing the same file twice stores
each response once (the id is kept as the response's unique key).

The response's own columns are found as the export names them: `status`, `channel` …, or `response_status`,
`response_channel` … when a question of the survey takes the plain name (`surveys.tables.own_columns_in`), so
files exported before questions could take those names are read as they always were.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.tables import own_columns_in
from surveys.texts import offered_language

from ..storage.models import Response, utcnow
from .customer_lists import customer_id_problem
from .errors import HostingError
from .export import LANGUAGE_COLUMN, LANGUAGE_COLUMN_ALTERNATIVE, wave_column
from .publishing import latest_version, survey_of

IMPORT_KEY_PREFIX = "import:"
STATUSES = ("partial", "complete")
MAX_REPORTED = 20
SESSION_KEY_LIMIT = 64
"""Size of the responses' `session_key` column, which keeps `import:<response_id>`."""
CHANNEL_LIMIT = 64


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _time(value: Any, where: str, problems: list[str]) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    stamp = pd.to_datetime(text, errors="coerce", utc=True)
    if pd.isna(stamp):
        problems.append(f"{where}: {text!r} is not a date and time")
        return None
    return stamp.tz_convert(None).to_pydatetime()


def import_responses(session: Session, slug: str, table: pd.DataFrame, *, source: str = "<table>") -> int:
    """Store the rows of `table` as responses to the latest version of `slug`; returns how many were new.

    Raises `HostingError` naming every bad row (file row = index + 2, after the header) and column; then
    nothing is stored.
    """
    version = latest_version(session, slug)
    survey = survey_of(version)
    own = own_columns_in(table.columns, set(survey.question_columns()))
    id_column = own["response_id"]
    if id_column is None:
        raise HostingError(f"{source}: the column 'response_id' is missing (one id per response)")
    status_column, channel_column = own["status"] or "status", own["channel"] or "channel"
    customer_column = own["customer_id"] or "customer_id"
    problems: list[str] = []
    pending: list[Response] = []
    seen: set[str] = set()
    language_column = wave_column(survey.columns(), LANGUAGE_COLUMN, LANGUAGE_COLUMN_ALTERNATIVE)
    for position, row in enumerate(table.to_dict("records")):
        where = f"{source}, row {position + 2}"
        response_key = _text(row.get(id_column))
        if response_key is None:
            problems.append(f"{where}, column {id_column!r}: empty")
            continue
        key = f"{IMPORT_KEY_PREFIX}{response_key}"
        if len(key) > SESSION_KEY_LIMIT:  # cut short, two ids could meet and one be skipped as already stored
            problems.append(f"{where}, column {id_column!r}: longer than "
                            f"{SESSION_KEY_LIMIT - len(IMPORT_KEY_PREFIX)} characters")
            continue
        if key in seen:
            problems.append(f"{where}, column {id_column!r}: {response_key!r} appears twice in the file")
            continue
        seen.add(key)
        status = (_text(row.get(status_column)) if own["status"] else None) or "complete"
        if status not in STATUSES:
            problems.append(f"{where}, column {status_column!r}: {status!r} is not partial or complete")
        answers, errors = survey.from_row(row)
        for question_id, error in errors.items():
            column = f"{question_id}.{error.row}" if error.row else question_id
            problems.append(f"{where}, column {column!r}: {error.message}")
        customer_id = _text(row.get(customer_column)) if own["customer_id"] else None
        channel = _text(row.get(channel_column)) if own["channel"] else None
        problem = customer_id_problem(customer_id) if customer_id is not None else None
        if problem:
            problems.append(f"{where}, column {customer_column!r}: {problem}")
        if channel is not None and len(channel) > CHANNEL_LIMIT:
            problems.append(f"{where}, column {channel_column!r}: longer than {CHANNEL_LIMIT} characters")
        given_language = _text(row.get(language_column))  # the export's language column, when the file has one
        language = offered_language(survey, given_language)
        if given_language is not None and language is None:
            problems.append(f"{where}, column {language_column!r}: {given_language[:20]!r} is not one of the "
                            f"survey's languages ({', '.join(survey.all_languages)})")
        started = _time(row.get(own["started_at"] or ""), f"{where}, column {own['started_at']!r}", problems)
        submitted = _time(row.get(own["submitted_at"] or ""), f"{where}, column {own['submitted_at']!r}", problems)
        pending.append(Response(
            version_id=version.id, session_key=key, customer_id=customer_id,
            channel=channel, status=status, answers=answers, language=language,
            current_page=len(survey.sections) - 1 if status == "complete" else 0,
            started_at=started or submitted or utcnow(), updated_at=submitted or started or utcnow(),
            submitted_at=submitted if status == "complete" else None,
        ))
    if problems:
        more = f"\n… and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise HostingError("nothing was imported:\n" + "\n".join(problems[:MAX_REPORTED]) + more)
    existing = set(session.scalars(sa.select(Response.session_key).where(Response.session_key.in_(seen))))
    new = [response for response in pending if response.session_key not in existing]
    session.add_all(new)
    session.commit()
    return len(new)
