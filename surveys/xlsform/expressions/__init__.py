"""Translating conditions between cxroi's `show_if` language and XLSForm's XPath `relevant`/`constraint` columns.

Both directions cover a common subset: comparisons, `and`/`or`/`not`, `selected()` ↔ `in` for choices,
`string-length(${q}) > 0` ↔ `answered(q)`. What falls outside raises `Untranslatable`, which the reader and
writer report with the sheet, row and column it comes from; nothing is dropped silently.
"""

from .fields import ExportField, FieldKind, FieldRef, Measure, Untranslatable, format_number
from .show_if_to_xpath import to_xpath, write_bounds
from .xpath_parser import parse_xpath
from .xpath_to_show_if import read_bounds, to_show_if

__all__ = [
    "ExportField", "FieldKind", "FieldRef", "Measure", "Untranslatable", "format_number", "parse_xpath",
    "read_bounds", "to_show_if", "to_xpath", "write_bounds",
]
