"""Reading uploaded files: a survey definition (YAML, JSON or XLSForm), an outcomes table (CSV, XLSX or
Parquet) and a customer list (CSV, the links page), each in a child process under the upload limits
(`webapp.services.isolated`), so that a file built to exhaust its reader is refused with a clear message and the
web worker goes on serving.

The `read_*_file` functions are what runs in the child; they import only `surveys`, `roi` and, for customer
lists, `webapp.services.invitations` (already loaded by the fork server with this package).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surveys.errors import CxroiError, InvalidDefinition, Problem

from ..config import upload_limits
from .isolated import Limits, run_isolated

if TYPE_CHECKING:
    import pandas as pd

    from roi.config import RoiConfig
    from surveys.model import Survey
    from surveys.xlsform import XlsformImport

    from .customer_lists import CustomerList

DEFINITION_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
OUTCOME_SUFFIXES = (".csv", ".xlsx", ".parquet")
CUSTOMER_ROWS = 50_000
"""Most customers in one customer list uploaded on the links page (a 1 MiB upload holds about that many ids;
the API takes 10,000 per request; `cxroi invite` on the command line has no such limit)."""


def limits_from(settings: Mapping[str, Any]) -> Limits:
    """The upload limits of the app settings `UPLOAD_MEMORY_MB` and `UPLOAD_SECONDS` (webapp.config)."""
    memory_mb, seconds = upload_limits(settings.get("UPLOAD_MEMORY_MB"), settings.get("UPLOAD_SECONDS"))
    return Limits(memory_mb=memory_mb, seconds=seconds)


def safe_name(name: str, default: str = "upload") -> str:
    """A multipart file name as shown back to the user: its last part, no control characters (PostgreSQL
    refuses NUL), at most 200 characters."""
    name = "".join(char for char in name if char >= " " and char != "\x7f")
    base = Path(name.replace("\\", "/")).name.strip() or default
    return base[:200]


def read_definition(content: bytes, name: str, *, limits: Limits) -> Survey:
    """A checked Survey from an uploaded .yaml/.yml/.json/.xlsx file, read in a child process under `limits`.

    Raises `InvalidDefinition` (every problem with its path), `UploadTooDemanding` (413) or another
    `CxroiError` naming the file."""
    shown = safe_name(name)
    if Path(shown).suffix.lower() not in DEFINITION_SUFFIXES:
        raise InvalidDefinition(shown, [Problem("", "expected a .yaml, .yml, .json or .xlsx file")])
    return run_isolated(read_definition_file, content, shown, limits=limits, what=shown)


def read_definition_file(content: bytes, name: str) -> Survey:
    """In the child: the definition in `content`, read as its suffix says."""
    from surveys.definition import parse_survey_text
    from surveys.files import read_survey

    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        with tempfile.TemporaryDirectory(prefix="cxroi-definition-") as folder:
            path = Path(folder) / "upload.xlsx"
            path.write_bytes(content)
            try:
                return read_survey(path)
            except CxroiError as error:
                _rename(error, str(path), name)
                raise
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidDefinition(name, [Problem("", f"not UTF-8 text ({error.reason} at byte {error.start})")]) from None
    return parse_survey_text(text, fmt="json" if suffix == ".json" else "yaml", source=name)


def import_xlsform_upload(content: bytes, name: str, *, limits: Limits) -> XlsformImport:
    """An uploaded XLSForm read with `skip_unsupported` (what cxroi cannot represent left out and listed), in a
    child process under `limits`; raises as `read_definition` does."""
    shown = safe_name(name)
    if Path(shown).suffix.lower() != ".xlsx":
        raise InvalidDefinition(shown, [Problem("", "leaving out what cxroi cannot represent needs an .xlsx "
                                                    "XLSForm")])
    return run_isolated(import_xlsform_file, content, shown, limits=limits, what=shown)


def import_xlsform_file(content: bytes, name: str) -> XlsformImport:
    """In the child: `import_xlsform(..., skip_unsupported=True)` of the workbook in `content`."""
    from surveys.xlsform import import_xlsform

    with tempfile.TemporaryDirectory(prefix="cxroi-definition-") as folder:
        path = Path(folder) / "upload.xlsx"
        path.write_bytes(content)
        try:
            return import_xlsform(path, skip_unsupported=True)
        except CxroiError as error:
            _rename(error, str(path), name)
            raise


def count_outcomes(content: bytes, name: str, config: RoiConfig, *, limits: Limits) -> int:
    """Check every cell of an outcomes upload against the data contract, in a child process under `limits`;
    returns the number of customers. Raises `OutcomeDataError` naming the file, rows and column,
    `UploadTooDemanding` (413), or another `CxroiError`."""
    return run_isolated(count_outcomes_file, content, name, config, limits=limits, what=safe_name(name, "outcomes"))


def count_outcomes_file(content: bytes, name: str, config: RoiConfig) -> int:
    """In the child: the number of customers of a valid outcomes file (see `count_outcomes`)."""
    from roi.inputs.outcomes import build_outcomes

    return len(build_outcomes(read_outcomes_file(content, name), config).frame)


def read_outcomes_file(content: bytes, name: str) -> pd.DataFrame:
    """The uploaded outcomes file as text cells; errors name the file as the user called it."""
    from roi.data import OutcomeDataError, read_outcomes_table

    shown = safe_name(name, "outcomes")
    suffix = Path(shown).suffix.lower()
    if suffix not in OUTCOME_SUFFIXES:
        raise OutcomeDataError(f"{shown}: expected a .csv, .xlsx or .parquet file")
    if not content:
        raise OutcomeDataError(f"{shown}: the file is empty")
    with tempfile.TemporaryDirectory(prefix="cxroi-outcomes-") as folder:
        path = Path(folder) / f"outcomes{suffix}"
        path.write_bytes(content)
        try:
            frame = read_outcomes_table(path)
        except CxroiError as error:
            raise type(error)(str(error).replace(str(path), shown)) from None
    frame.attrs["source"] = shown
    return frame


def read_customers(content: bytes, name: str, *, limits: Limits, max_rows: int = CUSTOMER_ROWS) -> CustomerList:
    """An uploaded customer list read row by row (`customer_lists.read_customer_list`) in a child process under
    `limits`; the file's problems come back in the list (`problems`, each row's `problem`), at most `max_rows`
    customers. Raises `UploadTooDemanding` (413) when reading needs more memory or time than an upload may take,
    or another `CxroiError` naming the file."""
    shown = safe_name(name, "customers.csv")
    return run_isolated(read_customers_file, content, shown, max_rows, limits=limits, what=shown)


def read_customers_file(content: bytes, name: str, max_rows: int) -> CustomerList:
    """In the child: the customer list in `content` (see `read_customers`)."""
    from .customer_lists import read_customer_list

    return read_customer_list(content, name=name, max_rows=max_rows)


def _rename(error: CxroiError, path: str, name: str) -> None:
    """Say the user's file name instead of the temporary path in `error`'s message and problems."""
    error.args = tuple(arg.replace(path, name) if isinstance(arg, str) else arg for arg in error.args)
    if isinstance(error, InvalidDefinition):
        error.source = name
        error.problems = [Problem(p.path.replace(path, name), p.message.replace(path, name)) for p in error.problems]
