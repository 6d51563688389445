"""XLSForm `calculate` rows read as calculated values (`Survey.calculate`, page logic): the arithmetic subset of a
`calculation` (surveys/xlsform/expressions/arithmetic.py); anything else is reported, or left out and listed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .cells import RowCells
from .expressions import Untranslatable
from .expressions.arithmetic import from_calculation, to_calculation
from .syntax import identifier


def calculation_elements(element: Mapping[str, Any],
                         bookkeeping: Callable[[Mapping[str, Any]], bool]) -> list[Mapping[str, Any]]:
    """The `calculate` elements of pyxform's tree (a group's included), but the `bookkeeping` ones."""
    found = []
    for child in element.get("children") or []:
        if child.get("type") == "calculate" and not bookkeeping(child):
            found.append(child)
        elif child.get("type") == "group":
            found += calculation_elements(child, bookkeeping)
    return found


def read_calculation(cells: RowCells, element: Mapping[str, Any], where: str, survey_data: dict[str, Any],
                     locations: dict[str, str]) -> None:
    """Add a `calculate` row to `survey_data["calculate"]`: the expression cxroi kept in `cxroi_settings` while the
    `calculation` column is unchanged, else the calculation translated; untranslatable: reported by `cells`."""
    name = str(element.get("name"))
    calculation = str((element.get("bind") or {}).get("calculate") or "").strip()
    carried = cells.settings(element, where).get("expression")
    expression = None
    if isinstance(carried, str):
        try:
            expression = carried if to_calculation(carried, cells.export_fields) == calculation else None
        except (Untranslatable, ValueError):
            expression = None
    if expression is None:
        try:
            expression = from_calculation(calculation, cells.import_fields)
        except Untranslatable as error:
            cells.unsupported(f"{where}, column 'calculation'", f"{calculation!r} cannot be translated: {error} "
                              "(cxroi calculates + - * / over numbers)", name)
            return
    calculations = survey_data.setdefault("calculate", [])
    locations[f"calculate[{len(calculations)}]"] = where
    calculations.append({"id": identifier(name, "c") or name, "expression": expression})
