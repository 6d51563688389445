"""SPSS `.sav` and Stata `.dta` exports of the responses table, with variable and value labels (docs/export.md).

Each question column gets the question's text as its variable label (a grid row or a choice adds its own label),
and coded answers get value labels: scale points (1 = "Strongly disagree" …), a single choice's choices (numbered
1, 2, … in the order of the definition, newest version first, with the choice's label), 0/1 for a multi choice's
"Selected" and a friction row's "Yes". SPSS also learns each variable's measure (nominal, ordinal, scale).

pyreadstat writes a whole pandas DataFrame and cannot append (it has no chunked writer), so the rows are gathered
first, but never as Python rows or objects: each code, scale point and 0/1 goes into a 4-byte column buffer (promoted
to 8 bytes should a value not fit exactly), other numbers and times into 8-byte ones, and texts into Arrow string
arrays (their UTF-8 bytes and a 4-byte offset), built every `_TEXT_CHUNK` rows. Times are stored in the target's own
unit (SPSS: seconds since 1582-10-14; Stata: milliseconds since 1960-01-01) with its date-time format, so pyreadstat
does not copy the whole frame to convert them; the frame is made from the buffers without copying them. pyreadstat
then streams the rows to the file. docs/export-spss-stata.md, "Memory", has the measurement.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from surveys.model import RESERVED_COLUMNS, Survey
from surveys.questions import QuestionBase

from .errors import HostingError

LABELLED_FORMATS = (".sav", ".dta")
Kind = Literal["number", "text", "time", "choice", "guess"]
_RESERVED: dict[str, tuple[Kind, str]] = {
    "response_id": ("number", "Response id"), "customer_id": ("text", "Customer id"),
    "channel": ("text", "Channel the response came through"), "survey_version": ("number", "Survey version"),
    "started_at": ("time", "Started at"), "submitted_at": ("time", "Submitted at"),
    "status": ("text", "Status (complete or partial)"),
}
_MEASURES = {"scale": "ordinal", "choice": "nominal", "multi": "nominal", "friction": "nominal"}
_EPOCH = datetime(1970, 1, 1)
_TIME_OFFSET = {False: 12219379200.0, True: 315619200.0}
"""Seconds from SPSS's day zero (1582-10-14) and Stata's (1960-01-01) to 1970-01-01."""
_TIME_FORMAT = {False: "DATETIME", True: "%tc"}
_TEXT_CHUNK = 8192
STATA_LABEL_LIMIT = 80
"""Stata keeps variable labels of at most 80 characters; longer question texts end with an ellipsis."""


@dataclass
class Variable:
    """One column of the file: its name there, its label, what it holds and its values' labels."""

    column: str
    name: str
    label: str
    kind: Kind
    value_labels: dict[int, str] = field(default_factory=dict)
    measure: str = "nominal"
    codes: dict[str, int] = field(default_factory=dict)
    """A single choice's code → the number written (its position, 1-based)."""
    numbers: array[float] = field(default_factory=lambda: array("d"))
    texts: list[Any] = field(default_factory=list)
    """Texts of the rows since the last Arrow chunk; for a column no survey declares (kind "guess", e.g. one
    another service adds), all its values."""
    chunks: list[Any] = field(default_factory=list)
    """The texts so far as Arrow string arrays of `_TEXT_CHUNK` rows."""
    stata: bool = False

    def __post_init__(self) -> None:
        if self.kind == "choice" or (self.kind == "number" and self.value_labels):
            self.numbers = array("f")  # codes, scale points, 0/1: exact in 4 bytes (8 should one not be)

    def add(self, value: Any) -> None:
        if self.kind == "text":
            self.texts.append("" if value is None else str(value))
            if len(self.texts) >= _TEXT_CHUNK:
                self._seal()
        elif self.kind == "choice":
            if value is None:
                self.numbers.append(math.nan)
                return
            number = self.codes.get(str(value))
            if number is None:  # a code no version defines any more: numbered after the others
                number = self.codes[str(value)] = len(self.codes) + 1
                self.value_labels[number] = str(value)
            self.numbers.append(float(number))
        elif self.kind == "time":
            if value is None:
                self.numbers.append(math.nan)
            else:  # in the file's own unit: SPSS seconds since 1582, Stata milliseconds since 1960
                seconds = (_naive(value) - _EPOCH).total_seconds() + _TIME_OFFSET[self.stata]
                self.numbers.append(seconds * 1000 if self.stata else seconds)
        elif self.kind == "guess":
            self.texts.append(value)
        else:
            self._number(math.nan if value is None or isinstance(value, str) else float(value))

    def _number(self, value: float) -> None:
        numbers = self.numbers
        try:
            numbers.append(value)
        except OverflowError:
            numbers.append(math.nan)
        else:
            if numbers.typecode == "d" or numbers[-1] == value or value != value:
                return
        self.numbers = array("d", numbers[:-1])  # a value 4 bytes cannot hold exactly: 8 bytes from now on
        self.numbers.append(value)

    def _seal(self) -> None:
        import pyarrow as pa

        self.chunks.append(pa.array(self.texts, type=pa.string()))
        self.texts = []

    def series(self) -> Any:
        import numpy as np
        import pandas as pd

        if self.kind == "guess":  # numbers when every value is one, else text
            if all(value is None or type(value) in (int, float, bool) for value in self.texts):
                return pd.Series([math.nan if value is None else float(value) for value in self.texts], dtype=float)
            return pd.Series([None if value is None else str(value) for value in self.texts], dtype=object).fillna("")
        if self.kind == "text":
            import pyarrow as pa

            self._seal()
            texts = pd.arrays.ArrowExtensionArray(pa.chunked_array(self.chunks, type=pa.string()))
            self.chunks = []
            return pd.Series(texts, copy=False)
        dtype = np.float32 if self.numbers.typecode == "f" else np.float64
        values = np.frombuffer(self.numbers, dtype=dtype) if len(self.numbers) else np.array([], dtype=dtype)
        return pd.Series(values, copy=False)


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def variables(columns: Sequence[str], surveys: Sequence[Survey], *, stata: bool) -> list[Variable]:
    """The file's variables for the export `columns`; `surveys` newest version first (its wording wins)."""
    declared: dict[str, tuple[QuestionBase, Survey]] = {}
    options: dict[str, dict[str, str]] = {}  # a choice column's codes and labels over every version, newest first
    for survey in surveys:
        for question in survey.questions():
            for column in question.columns(survey):
                declared.setdefault(column, (question, survey))
                if question.value_kind == "choice" and column == question.id:
                    for code, text in question.options():
                        options.setdefault(column, {}).setdefault(code, text)
    out: list[Variable] = []
    names: set[str] = set()
    # the response's own columns come first (`response_status` … when a question takes the name: results.md)
    own = dict(zip(columns[:len(RESERVED_COLUMNS)], RESERVED_COLUMNS, strict=True))
    for column in columns:
        name = _variable_name(column, names, stata=stata)
        names.add(name.lower())
        if column in own and len(out) < len(RESERVED_COLUMNS):
            kind, label = _RESERVED[own[column]]
            out.append(Variable(column, name, label, kind, stata=stata))
        elif column in declared:
            out.append(_question_variable(column, name, *declared[column], options.get(column, {})))
        elif len(out) == len(_RESERVED):  # the wave column follows the reserved ones (docs/waves.md)
            out.append(Variable(column, name, "Wave", "text"))
        elif len(out) == len(_RESERVED) + 1:  # then the language column (docs/definition-format.md)
            out.append(Variable(column, name, "Language the response was answered in", "text"))
        else:
            out.append(Variable(column, name, column, "guess"))
        if stata and len(out[-1].label) > STATA_LABEL_LIMIT:
            out[-1].label = out[-1].label[:STATA_LABEL_LIMIT - 1] + "…"
    return out


def _question_variable(column: str, name: str, question: QuestionBase, survey: Survey,
                       choices: dict[str, str]) -> Variable:
    kind_of_column = question.column_kinds(survey)[column]
    part = column[len(question.id) + 1:] if column != question.id else ""
    row, _, rest = part.partition(".")
    label = question.text
    if row:
        label += f" — {dict(question.rows(survey)).get(row, row)}"
    if rest:  # a grid row's open follow-up (friction's "what made you hesitate?")
        label += f": {question.follow_up_prompt() or rest}"
    value_kind = question.value_kind
    if kind_of_column == "text" and value_kind == "choice" and not rest:
        return Variable(column, name, label, "choice", {n: text for n, text in enumerate(choices.values(), 1)},
                        codes={code: n for n, code in enumerate(choices, 1)})
    if kind_of_column in ("text", "date"):  # a date: its ISO text, YYYY-MM-DD
        return Variable(column, name, label, "text")
    labels: dict[int, str] = {}
    if value_kind == "scale":
        labels = {value: text for value, text in question.scale_points() if text != str(value)}
    elif value_kind == "multi" and question.widget == "checkboxes":  # a ranking's columns hold ranks, unlabelled
        labels = {0: "Not selected", 1: "Selected"}
    elif value_kind == "friction":
        labels = {0: "No", 1: "Yes"}
    measure = "ordinal" if question.widget == "ranking" else _MEASURES.get(value_kind, "scale")
    return Variable(column, name, label, "number", labels, measure)


def _variable_name(column: str, taken: set[str], *, stata: bool) -> str:
    """SPSS takes the export column as it is (`q_multi.phone`; at most 64 bytes); Stata wants letters, digits and
    _ in at most 32 characters: `q_multi_phone`, shortened and numbered when two would clash."""
    if stata:
        base = re.sub(r"[^A-Za-z0-9_]", "_", column)[:32]
    else:
        base = re.sub(r"[^A-Za-z0-9_.@#$]", "_", column).rstrip(".")[:64]
    if not base[:1].isalpha():
        base = f"v{base}"[:32 if stata else 64]
    name, number = base, 1
    while name.lower() in taken:
        number += 1
        suffix = f"_{number}"
        name = base[:(32 if stata else 64) - len(suffix)] + suffix
    return name


def write_labelled(path: Path, suffix: str, columns: Sequence[str], rows: Iterator[dict[str, Any]],
                   surveys: Sequence[Survey]) -> int:
    """Write the rows as `.sav` or `.dta` with labels; returns the row count. `surveys`: newest version first."""
    import pandas as pd
    import pyreadstat

    stata = suffix == ".dta"
    table = variables(columns, surveys, stata=stata)
    count = 0
    for row in rows:
        for variable in table:
            variable.add(row.get(variable.column))
        count += 1
    # the frame holds the buffers themselves (no copy, no consolidation into one block)
    frame = pd.DataFrame({variable.name: variable.series() for variable in table}, copy=False)
    labels: list[str | None] = [str(v.label) for v in table]  # plain str: pyreadstat refuses str subclasses
    value_labels: dict[str, dict[int | float, str]] = {
        v.name: {n: str(text) for n, text in v.value_labels.items()} for v in table if v.value_labels}
    formats = {v.name: _TIME_FORMAT[stata] for v in table if v.kind == "time"}
    for variable in table:  # the buffers are the frame's now
        variable.numbers, variable.texts = array("d"), []
    try:
        if stata:
            pyreadstat.write_dta(frame, str(path), column_labels=labels, variable_value_labels=value_labels,
                                 variable_format=formats)
        else:
            measures = {v.name: v.measure for v in table if v.kind in ("number", "choice")}
            pyreadstat.write_sav(frame, str(path), column_labels=labels, variable_value_labels=value_labels,
                                 variable_measure=measures, variable_format=formats)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, ValueError, OverflowError) as error:
        raise HostingError(f"cannot write {suffix}: {error}; no file was written") from None
    return count
