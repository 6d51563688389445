"""The customer's rows in stored files: each report job's outcomes file (CSV, XLSX or Parquet, as uploaded) and
each recurring wave's customer list (CSV text). An erasure rewrites them without the customer's rows; the other
rows keep their cells (a CSV is rewritten cell for cell; a workbook or Parquet file is written again from its
cells read as text, which is how the analysis reads it anyway).

A report's stored results (`results.json`) keep their numbers: they hold model estimates and counts, no
customer's row, and they are what the report said when it ran. Only where they name the customer (the sample
of respondents without an outcome row, `data_quality.unmatched_respondent_ids_sample`, or an id quoted in a
message) is the id taken out (`scrubbed`), and so in the job's error and progress texts. The job's
`outcomes_sha256` and `outcomes_bytes` describe the edited file from then on, so its results (which name the
hash of the file they were computed from) show that the input changed since; running the report again uses
the edited file."""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..services.uploads import read_outcomes_file
from ..storage.reports import ReportJob

ERASED = "[erased]"


@dataclass(frozen=True)
class ReportMentions:
    """A report job's results and texts with the customer's id taken out."""

    job_id: int
    removed: int
    values: dict[str, Any]

    def apply(self, session: Session) -> None:
        session.execute(sa.update(ReportJob).where(ReportJob.id == self.job_id).values(**self.values))


def report_mentions(session: Session, customer_id: str) -> list[ReportMentions]:
    """Each report job whose results, error or progress text names the customer, without the id."""
    found = []
    jobs = session.execute(sa.select(ReportJob.id, ReportJob.results, ReportJob.error, ReportJob.progress)
                           .order_by(ReportJob.id).execution_options(yield_per=100))
    for job in jobs:
        values: dict[str, Any] = {}
        removed = 0
        for name in ("results", "error", "progress"):
            value, hits = scrubbed(getattr(job, name), customer_id)
            if hits:
                values[name], removed = value, removed + hits
        if removed:
            found.append(ReportMentions(job.id, removed, values))
    return found


def scrubbed(value: Any, customer_id: str) -> tuple[Any, int]:
    """`value` (JSON data or text) without `customer_id`: a list item equal to it dropped, any other string
    equal to it replaced by "[erased]", and the id quoted inside a text ('X' or "X", as messages quote ids)
    replaced by a quoted "[erased]"; with the number of places changed. An id is never matched inside another
    word (c1 in c12)."""
    if isinstance(value, str):
        if value == customer_id:
            return ERASED, 1
        hits = 0
        for quote in ("'", '"'):
            quoted = f"{quote}{customer_id}{quote}"
            hits += value.count(quoted)
            value = value.replace(quoted, f"{quote}{ERASED}{quote}")
        return value, hits
    if isinstance(value, list):
        kept, hits = [], 0
        for item in value:
            if isinstance(item, str) and item == customer_id:
                hits += 1
                continue
            new, found = scrubbed(item, customer_id)
            kept.append(new)
            hits += found
        return kept, hits
    if isinstance(value, dict):
        out, hits = {}, 0
        for key, item in value.items():
            out[key], found = scrubbed(item, customer_id)
            hits += found
        return out, hits
    return value, 0


@dataclass(frozen=True)
class OutcomesEdit:
    """One report job's outcomes file without the customer's rows."""

    job_id: int
    removed: int
    content: bytes

    def apply(self, session: Session) -> None:
        session.execute(sa.update(ReportJob).where(ReportJob.id == self.job_id).values(
            outcomes_file=self.content, outcomes_bytes=len(self.content),
            outcomes_sha256=hashlib.sha256(self.content).hexdigest()))


def customer_lists_without(lists: Iterable[tuple[int, str]], customer_id: str) -> Iterator[tuple[int, str, int]]:
    """(id, the list without the customer's rows, rows removed) of each list that names the customer: the
    `customer_id` column, or the first, as `read_customer_list` reads it."""
    for list_id, text in lists:
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows:
            continue
        header = [cell.strip().lower() for cell in rows[0]]
        column = header.index("customer_id") if "customer_id" in header else 0
        kept = [rows[0]] + [row for row in rows[1:] if not _names(row, column, customer_id)]
        if len(kept) < len(rows):
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(kept)
            yield list_id, out.getvalue(), len(rows) - len(kept)


def outcomes_without(session: Session, customer_id: str) -> list[OutcomesEdit]:
    """The edit of every report job whose outcomes file has a row of the customer (its id column: the one the
    job's settings map to `customer_id`, else `customer_id`)."""
    edits = []
    jobs = session.execute(sa.select(ReportJob.id, ReportJob.outcomes_name, ReportJob.config)
                           .order_by(ReportJob.id)).all()
    for job_id, name, config in jobs:  # one stored file in memory at a time
        content = session.scalar(sa.select(ReportJob.outcomes_file).where(ReportJob.id == job_id))
        mapped = (config or {}).get("columns", {}).get("customer_id") or "customer_id"
        edited = _without(content or b"", name, mapped, customer_id)
        if edited is not None:
            edits.append(OutcomesEdit(job_id, *edited))
    return edits


def _without(content: bytes, name: str, id_column: str, customer_id: str) -> tuple[int, bytes] | None:
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".txt"):
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows:
            return None
        header = [cell.strip() for cell in rows[0]]
        column = header.index(id_column) if id_column in header else (
            header.index("customer_id") if "customer_id" in header else None)
        if column is None:
            return None
        kept = [rows[0]] + [row for row in rows[1:] if not _names(row, column, customer_id)]
        if len(kept) == len(rows):
            return None
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(kept)
        return len(rows) - len(kept), out.getvalue().encode("utf-8")
    frame = read_outcomes_file(content, name)  # a workbook or Parquet file, as text cells
    column_name = id_column if id_column in frame.columns else "customer_id"
    if column_name not in frame.columns:
        return None
    hit = frame[column_name].map(lambda value: value is not None and str(value).strip() == customer_id)
    if not hit.any():
        return None
    kept = frame[~hit]
    with tempfile.TemporaryDirectory(prefix="cxroi-erase-") as folder:
        path = Path(folder) / f"outcomes{suffix}"
        if suffix in (".parquet", ".pq"):
            kept.to_parquet(path, index=False)
        else:
            kept.to_excel(path, index=False)
        return int(hit.sum()), path.read_bytes()


def _names(row: list[str], column: int, customer_id: str) -> bool:
    return column < len(row) and row[column].strip() == customer_id
