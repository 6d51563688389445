"""The spellings XLSForm (and pyxform) accept for one thing, brought to the one cxroi reads.

pyxform takes type aliases (`string`, `int`), headers in any case (`TYPE`, `LIST_NAME`), `label:English (en)` with
one colon, and `bind::relevant` / `control::appearance` prefixes; names may hold `.` and `-`, choice names `-` and
`'`. cxroi reads all of those (docs/xlsform.md, "Spellings"), and reports a problem met on many rows once, with the
rows it covers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

from ..errors import Problem

_CANONICAL_TYPES = ("text", "integer", "decimal", "note")
TYPE_ALIASES: dict[str, str] = {
    name: canonical for canonical in _CANONICAL_TYPES for name, spec in QUESTION_TYPE_DICT.items()
    if spec == QUESTION_TYPE_DICT[canonical] and name != canonical and "external" not in name
}
"""pyxform's other names of the row types cxroi reads: `string` → text, `int` → integer, `q decimal` → decimal …"""

_PREFIXES = ("bind::", "bind:", "control::", "control:", "body::", "body:")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def dealias_tree(element: dict[str, Any]) -> None:
    """Give every element of pyxform's tree the canonical name of its type, and its `bind`/`control` keys in lower
    case (pyxform keeps `BIND::RELEVANT` as `RELEVANT`), in place."""
    kind = element.get("type")
    if isinstance(kind, str) and kind in TYPE_ALIASES:
        element["type"] = TYPE_ALIASES[kind]
    for part in ("bind", "control"):
        if isinstance(element.get(part), dict):
            element[part] = {str(key).lower() if ":" not in str(key) else key: value
                             for key, value in element[part].items()}
    for child in element.get("children") or []:
        dealias_tree(child)


def lower_keys(row: Mapping[str, Any]) -> dict[str, Any]:
    """A raw sheet row with its headers as pyxform reads them: stripped and in lower case."""
    return {str(key).strip().lower(): value for key, value in row.items()}


def column_base(column: str) -> str:
    """The column a header stands for: `bind::relevant` → relevant, `label:English (en)` → label, `LABEL` → label."""
    name = column.strip().lower()
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name.removeprefix(prefix)
            break
    if name.startswith("jr:"):
        return name
    return re.split(r"::?", name, maxsplit=1)[0].strip()


def identifier(name: str, prefix: str) -> str | None:
    """An XLSForm name as a cxroi id (letters, digits and _, starting with a letter): `.`, `-` and `'` become `_`,
    a name starting with a digit or `_` gets `prefix` in front; None when nothing usable is left."""
    if _IDENTIFIER.match(name):
        return name
    text = re.sub(r"[^A-Za-z0-9_]", "_", name.strip())
    if not re.search(r"[A-Za-z0-9]", text):
        return None
    return text if text[:1].isalpha() else f"{prefix}{text}"


_ROW_PATH = re.compile(r"^(?P<sheet>\w+ sheet), row (?P<row>\d+)(?P<rest>(?:,| \().*)?$")


def collapse_rows(problems: Iterable[Problem]) -> list[Problem]:
    """Problems that differ only by their row (the same column, the same message) as one, naming every row:
    `survey sheet, rows 2–40, 45, column 'image': …`. Order follows each group's first row."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    order: list[tuple[str, str, str] | Problem] = []
    for problem in problems:
        match = _ROW_PATH.match(problem.path)
        if match is None or (match.group("rest") or "").startswith(" ("):
            order.append(problem)
            continue
        key = (match.group("sheet"), match.group("rest") or "", problem.message)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(int(match.group("row")))
    out = []
    for item in order:
        if isinstance(item, Problem):
            out.append(item)
            continue
        sheet, rest, message = item
        rows = groups[item]
        word = "row" if len(rows) == 1 else "rows"
        out.append(Problem(f"{sheet}, {word} {row_ranges(rows)}{rest}", message))
    return out


def row_ranges(rows: Iterable[int]) -> str:
    """[2, 3, 4, 7] → '2–4, 7'."""
    numbers = sorted(set(rows))
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}–{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)
