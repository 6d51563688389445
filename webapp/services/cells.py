"""Spreadsheet cells that a spreadsheet must not run: the formula guard shared by every CSV/XLSX cxroi writes
(responses exports, personal-link lists, the audit log's CSV). A leaf module, so the audit log can use it
without importing the services that record audit events."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet treat a text cell as a formula (OWASP: CSV injection)."""


def neutralise_formula(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
