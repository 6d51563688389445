"""XLSForm (`.xlsx`) import and export, so surveys authored in Excel, KoboToolbox or ODK come in and go out.

`read_xlsform(path)` reads a workbook with pyxform into a checked Survey; `write_xlsform(survey, path)` writes a
workbook that pyxform converts to a valid XForm. What one side cannot express is mapped explicitly or reported
as an `InvalidDefinition` problem naming the sheet, row and column (docs/xlsform.md has the mapping both ways).
"""

from .reading import XlsformImport, import_xlsform, read_xlsform
from .writing import build_workbook, write_xlsform

__all__ = ["XlsformImport", "build_workbook", "import_xlsform", "read_xlsform", "write_xlsform"]
