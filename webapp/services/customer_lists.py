"""Customer lists: the CSV file (or the API's JSON rows) that invitations, waves and mailings are made from,
read row by row and checked cell by cell, each problem named by its row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import HostingError

CUSTOMER_ID_LIMIT = 200


def customer_id_problem(value: str) -> str | None:
    """What is wrong with a customer id (empty, too long, control characters), or None."""
    if not value.strip():
        return "empty customer id"
    if len(value) > CUSTOMER_ID_LIMIT:
        return f"customer id longer than {CUSTOMER_ID_LIMIT} characters"
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return "customer id with control characters"
    return None


EMAIL_LIMIT = 254
NAME_LIMIT = 200
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
                    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_PHONE = re.compile(r"^\+?[0-9 ().\-/]{3,32}$")


def email_problem(value: str) -> str | None:
    """What is wrong with an e-mail address (one plain `local@domain.tld`, no display name), or None."""
    if len(value) > EMAIL_LIMIT:
        return f"e-mail address longer than {EMAIL_LIMIT} characters"
    if not _EMAIL.match(value) or ".." in value or value.split("@", 1)[0].startswith(".") \
            or value.split("@", 1)[0].endswith("."):
        return f"malformed e-mail address {value[:80]!r} (expected one address like name@example.com)"
    return None


def _text_problem(what: str, value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"{what} longer than {limit} characters"
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return f"{what} with control characters"
    return None


def optional_cells_problem(email: str, name: str, language: str, phone: str) -> str | None:
    if email and (problem := email_problem(email)):
        return problem
    if name and (problem := _text_problem("name", name, NAME_LIMIT)):
        return problem
    if language and (len(language) > 20 or not _LANGUAGE.match(language)):
        return f"language {language[:40]!r} is not a language code such as en, de or pt-BR"
    if phone and not _PHONE.match(phone):
        return f"phone number {phone[:40]!r} has characters other than digits, +, spaces, ( ) . - /"
    return None


OPTIONAL_COLUMNS = ("email", "name", "language", "phone")
"""Columns a customer list may add to `customer_id`, each checked on its row when present."""


@dataclass(frozen=True)
class CustomerRow:
    """One data row of a customer list: its line in the file, the id and what is wrong, if anything; the
    optional columns' values (None when the file has no such column or the cell is empty)."""

    line: int
    customer_id: str
    problem: str | None
    email: str | None = None
    name: str | None = None
    language: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class CustomerList:
    """A customer list read row by row (for a preview); `ok` when every row can get a link."""

    rows: list[CustomerRow]
    problems: list[str]
    """Problems of the file as a whole (not UTF-8, not CSV, empty), each naming it."""
    columns: tuple[str, ...] = ()
    """The optional columns (`OPTIONAL_COLUMNS`) the file has."""

    @property
    def ok(self) -> bool:
        return not self.problems and all(row.problem is None for row in self.rows)

    @property
    def customer_ids(self) -> list[str]:
        return [row.customer_id for row in self.rows if row.problem is None]


def read_customer_list(content: bytes, *, name: str = "upload", max_rows: int | None = None) -> CustomerList:
    """Customer ids from CSV bytes, row by row: the `customer_id` column, or the first column when none is
    so named; the header on line 1; empty, over-long, control-character and repeated ids flagged on their row.
    Optional `email`, `name`, `language` and `phone` columns are read when the header names them, and a
    malformed value is flagged on its row too (an empty cell is no value).

    The rows are read one at a time: a file with more than `max_rows` customers (None: no limit) is refused as
    a whole as soon as the row after the limit is read, and a cell longer than the CSV reader's field limit
    (`csv.field_size_limit()`, 131,072 characters) is refused naming its row, so what a list costs to read is
    bounded by its size and `max_rows`, never by what a crafted file claims."""
    if content.startswith(b"PK\x03\x04"):  # the zip inside every .xlsx/.ods workbook
        return CustomerList([], [f"{name}: a spreadsheet workbook, not a CSV file; save the sheet as CSV (UTF-8)"])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return CustomerList([], [f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"])
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0  # the last row read whole
    try:
        first = next(reader, None)
        if first is None:
            return CustomerList([], [f"{name}: the file is empty; expected a header and one customer id per row"])
        line = 1
        header = [cell.strip().lower() for cell in first]
        column = header.index("customer_id") if "customer_id" in header else 0
        optional = {key: header.index(key) for key in OPTIONAL_COLUMNS if key in header}
        records = []
        for line, cells in enumerate(reader, start=2):
            if max_rows is not None and line - 1 > max_rows:
                return CustomerList([], [f"{name}: more than {max_rows:,} customers; split the list into files of "
                                         f"at most {max_rows:,} rows, or use the command line (cxroi invite)"])
            records.append((line, cells[column].strip() if column < len(cells) else "",
                            {key: (cells[index].strip() if index < len(cells) else "")
                             for key, index in optional.items()}))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            return CustomerList([], [f"{name}: row {line + 1} has a cell longer than {csv.field_size_limit():,} "
                                     "characters; a customer list has one customer per row (customer_id, and "
                                     "optionally email, name, language, phone)"])
        return CustomerList([], [f"{name}: not a readable CSV file ({error})"])
    rows = customer_rows(records)
    problems = [] if rows else [f"{name}: no customer ids below the header"]
    return CustomerList(rows, problems, tuple(optional))


def customer_rows(records: Iterable[tuple[int, str, Mapping[str, str]]]) -> list[CustomerRow]:
    """Each (line, customer id, optional columns' values) checked as a customer list's row is: the id (empty,
    over-long, control characters, repeated), then the optional values; an empty value is no value. The one
    check of customers, for a CSV file and for the API's JSON alike."""
    rows: list[CustomerRow] = []
    first_line: dict[str, int] = {}
    for line, value, extra in records:
        problem = customer_id_problem(value)
        if problem is None and value in first_line:
            problem = f"duplicate customer id {value!r} (first on row {first_line[value]})"
        elif problem is None:
            first_line[value] = line
        if problem is None and extra:
            problem = optional_cells_problem(*(extra.get(key, "") for key in OPTIONAL_COLUMNS))
        rows.append(CustomerRow(line, value, problem, **{key: cell or None for key, cell in extra.items()}))
    return rows


def read_customer_ids(path: str | Path) -> list[str]:
    """Customer ids from a CSV file, read as `read_customer_list` reads an upload.

    An empty or repeated id refuses the whole file (`HostingError` listing every such row by its line number,
    the header being line 1), so no customer is silently left without a link.
    """
    return read_customer_file(path).customer_ids


def read_customer_file(path: str | Path) -> CustomerList:
    """A CSV file read as `read_customer_list` reads an upload; any problem of the file or of a row refuses
    the whole file (`HostingError` listing every such row by its line number, the header being line 1)."""
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise HostingError(f"{path}: cannot read the file ({error.strerror})") from None
    listed = read_customer_list(content, name=str(path))
    if listed.problems:
        raise HostingError("; ".join(listed.problems))
    if not listed.ok:
        raise HostingError(f"{path}: " + "; ".join(f"row {row.line}: {row.problem}" for row in listed.rows
                                                   if row.problem))
    return listed
