"""Texts in several languages and piped answers, between a cxroi survey and an XLSForm workbook.

XLSForm writes one column per language (`label::English (en)`, `label::Français (fr)`; a plain `label` column is
pyxform's "default" language); cxroi writes a text as `{en: …, fr: …}` (surveys/texts.py). A survey in one
language keeps plain `label`/`hint` columns. An answer piped into a text is `${q}` in XLSForm and `{{ q }}` in
cxroi. docs/xlsform.md, "Languages and piping".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..texts import LANGUAGE_NAMES, texts_of

TextValue = str | dict[str, str]
"""A text read from a workbook: a plain string (the default language only), or one string per language code."""

_XLSFORM_PIPE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}")
_CXROI_PIPE = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")


def language_label(code: str) -> str:
    """How a language is named in XLSForm column headers: `English (en)`."""
    return f"{LANGUAGE_NAMES.get(code.split('-')[0], code)} ({code})"


def language_column(base: str, code: str) -> str:
    """`label`, `fr` → `label::French (fr)`."""
    return f"{base}::{language_label(code)}"


def split_language_column(column: str) -> tuple[str, str | None]:
    """`label::French (fr)` → ('label', 'French (fr)'); `label` → ('label', None)."""
    base, separator, language = column.partition("::")
    return (base, language.strip()) if separator else (column, None)


def from_xlsform_text(text: str) -> str:
    """`${q_plan}` → `{{ q_plan }}` (cxroi's piping; a name that is not an earlier question is reported later)."""
    return _XLSFORM_PIPE.sub(lambda match: f"{{{{ {match.group(1)} }}}}", text)


def to_xlsform_text(text: str) -> str:
    """`{{ q_plan }}` → `${q_plan}`. Customer fields (`{{ customer.name }}`) have no XLSForm form and stay as they
    are: cxroi reads them back unchanged."""
    return _CXROI_PIPE.sub(lambda match: f"${{{match.group(1)}}}", text)


def text_value(texts: Mapping[str, str], default: str) -> TextValue | None:
    """The non-empty `texts` by language code as cxroi data: a plain string when only the default language has one."""
    given = {code: from_xlsform_text(str(text)) for code, text in texts.items() if text is not None and str(text).strip()}
    if not given:
        return None
    if set(given) == {default}:
        return given[default]
    return given


def default_text(value: TextValue | None, default: str) -> str | None:
    """The default language's string of a text read from a workbook (for comparisons such as scale labels)."""
    if isinstance(value, dict):
        return value.get(default) or next(iter(value.values()), None)
    return value


def join_texts(parts: Iterable[TextValue | None], default: str, separator: str = "\n\n") -> TextValue | None:
    """Texts joined language by language (a part missing in a language contributes its default text)."""
    given = [part for part in parts if part]
    if not given:
        return None
    languages = {code for part in given if isinstance(part, dict) for code in part}
    if not languages:
        return separator.join(str(part) for part in given)
    joined = {code: separator.join(part.get(code) or default_text(part, default) or "" if isinstance(part, dict)
                                   else str(part) for part in given)
              for code in sorted(languages | {default})}
    return joined


TEXT_COLUMNS = ("label", "hint")
"""The XLSForm columns holding texts: one per language in a multilingual workbook, with `${q}` piping."""


def columns_for(columns: Iterable[str], texts: Iterable[str], languages: list[str]) -> list[tuple[str, str, str | None]]:
    """(header, column, language) of each column of a sheet: the `texts` columns once per language when the survey
    has several (`label::English (en)`, …), else once, plain."""
    out: list[tuple[str, str, str | None]] = []
    for column in columns:
        if column in texts and len(languages) > 1:
            out += [(language_column(column, code), column, code) for code in languages]
        else:
            out.append((column, column, None))
    return out


def written(value: object, code: str | None, default: str, *, pipe: bool) -> object:
    """The cell of `value` in the column of language `code` (None: a plain column); with `pipe`, `{{ q }}` becomes
    `${q}`. Values that are not text are written as they are."""
    if not isinstance(value, str):
        return value
    text = str(value) if code is None else texts_of(value, default).get(code)
    if text is None:
        return None
    return to_xlsform_text(text) if pipe else text
