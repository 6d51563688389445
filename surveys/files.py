"""Definition files by extension: YAML and JSON (`surveys.definition`) or XLSForm (`surveys.xlsform`)."""

from __future__ import annotations

from pathlib import Path

from .definition import parse_survey_text, to_json, to_yaml
from .errors import InvalidDefinition, Problem
from .model import Survey
from .xlsform import read_xlsform, write_xlsform


def read_survey(path: str | Path) -> Survey:
    """Read a definition file by its extension: .yaml/.yml, .json, or .xlsx (XLSForm)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsform(path)
    if suffix not in (".yaml", ".yml", ".json"):
        raise InvalidDefinition(str(path), [Problem("", "expected a .yaml, .yml, .json or .xlsx file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidDefinition(str(path), [Problem("", f"cannot read the file: {error}")]) from None
    return parse_survey_text(text, fmt="json" if suffix == ".json" else "yaml", source=str(path))


def write_survey(survey: Survey, path: str | Path) -> None:
    """Write a definition by extension: .yaml/.yml, .json or .xlsx (XLSForm)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsform(survey, path)
    elif suffix == ".json":
        path.write_text(to_json(survey) + "\n", encoding="utf-8")
    elif suffix in (".yaml", ".yml"):
        path.write_text(to_yaml(survey), encoding="utf-8")
    else:
        raise InvalidDefinition(str(path), [Problem("", "expected a .yaml, .yml, .json or .xlsx file to write")])
