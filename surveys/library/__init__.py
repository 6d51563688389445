"""The question library: a curated bank of better questions, each with the reason to ask it, and the bundled
survey templates built from it.

    question_bank()                 every entry, in the bank's order
    library_entry(key)              one entry
    build_question(key, ...)        an independent copy of an entry's question, ready to put into a survey
    template_names()                the bundled templates
    load_template(name, ...)        a template as a checked Survey
    template_path(name)             the template's YAML file

The data lives in `bank.yaml` and `templates/*.yaml` next to this module (package data).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..definition import build_survey, format_path
from ..errors import CxroiError, InvalidDefinition, Problem
from ..model import Survey
from ..questions import QUESTION_TYPES, Identifier, Question

__all__ = [
    "CATEGORIES",
    "LibraryEntry",
    "UnknownLibraryItem",
    "build_question",
    "library_entry",
    "load_template",
    "question_bank",
    "read_bank_text",
    "template_names",
    "template_path",
]

CATEGORIES = (
    "alignment", "effort", "friction", "human", "urgency", "continuity", "valued", "channels", "outcome",
    "open", "baseline", "audit",
)
"""The bank's categories, in the order the documentation lists them."""

_QUESTION = TypeAdapter(Question)


class UnknownLibraryItem(CxroiError, LookupError):
    """A bank key or template name that the library does not have; the message lists the known ones."""

    def __init__(self, what: str, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = list(known)
        super().__init__(f"unknown {what} {name!r}; known: {', '.join(self.known)}")

    def __str__(self) -> str:
        # LookupError would show the repr of the args; the message is meant to be read as it is.
        return str(self.args[0])


@dataclass(frozen=True)
class LibraryEntry:
    """One question of the bank, with what a CX lead needs to decide whether to use it."""

    key: str
    category: str
    title: str
    rationale: str
    baseline: bool
    question: Question


class _BankRecord(BaseModel):
    # The file's own shape; checked so that a mistake in bank.yaml names its place.
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Identifier
    category: str
    title: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    baseline: bool = False
    question: dict[str, Any]


def _data_dir() -> Traversable:
    return files(__name__)


@cache
def _bank() -> tuple[LibraryEntry, ...]:
    text = _data_dir().joinpath("bank.yaml").read_text(encoding="utf-8")
    return tuple(read_bank_text(text, source="surveys/library/bank.yaml"))


def read_bank_text(text: str, *, source: str = "<bank>") -> list[LibraryEntry]:
    """Bank entries from the YAML text of a bank file; `InvalidDefinition` names every bad entry's path."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidDefinition(source, [Problem("", f"not valid YAML: {error}")]) from None
    if not isinstance(raw, list):
        raise InvalidDefinition(source, [Problem("", "the bank must be a list of entries")])
    problems: list[Problem] = []
    entries: list[LibraryEntry] = []
    for index, item in enumerate(raw):
        try:
            record = _BankRecord.model_validate(item)
        except ValidationError as error:
            problems.extend(_problems(error, [index]))
            continue
        try:
            # The rationale is kept on the question too, so it travels with it into any survey.
            question = _QUESTION.validate_python({**record.question, "rationale": record.rationale})
        except ValidationError as error:
            problems.extend(_problems(error, [index, "question"]))
            continue
        if record.category not in CATEGORIES:
            problems.append(Problem(f"[{index}].category", f"unknown category; known: {', '.join(CATEGORIES)}"))
        entries.append(LibraryEntry(record.key, record.category, record.title, record.rationale,
                                    record.baseline, question))
    for name, values in (("key", [e.key for e in entries]), ("question id", [e.question.id for e in entries])):
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            problems.append(Problem("", f"duplicate {name}: {', '.join(duplicates)}"))
    if problems:
        raise InvalidDefinition(source, problems)
    return entries


def _problems(error: ValidationError, prefix: list[Any]) -> list[Problem]:
    problems = []
    for detail in error.errors():
        loc = list(detail["loc"])
        if loc and loc[0] in QUESTION_TYPES:
            loc = loc[1:]  # the union's tag, which is not a place in the file
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(Problem(format_path([*prefix, *loc]), message))
    return problems


def question_bank() -> list[LibraryEntry]:
    """Every entry of the bank, in the bank's order (grouped by category)."""
    return list(_bank())


def library_entry(key: str) -> LibraryEntry:
    """The entry with this key; `UnknownLibraryItem` (listing the known keys) when there is none."""
    for entry in _bank():
        if entry.key == key:
            return entry
    raise UnknownLibraryItem("question library key", key, (entry.key for entry in _bank()))


def build_question(key: str, *, question_id: str | None = None, taken: Collection[str] = ()) -> Question:
    """An independent copy of the entry's question, to put into a survey.

    Its id is `question_id` when given; otherwise the bank's id, with `_2`, `_3` … appended while that id is
    in `taken` (the ids already used in the survey being edited). The bank itself is never changed.
    """
    question = library_entry(key).question
    if question_id is None:
        question_id, suffix = question.id, 1
        while question_id in taken:
            suffix += 1
            question_id = f"{question.id}_{suffix}"
    try:
        # Validating a fresh dump gives a deep copy (no list shared with the bank) and checks the new id.
        return _QUESTION.validate_python(question.model_dump() | {"id": question_id})
    except ValidationError as error:
        message = "; ".join(f"{format_path(d['loc'])}: {d['msg']}" for d in error.errors())
        raise InvalidDefinition(f"question library entry {key!r}", [Problem("id", message)]) from None


def _templates_dir() -> Traversable:
    return _data_dir().joinpath("templates")


def template_names() -> list[str]:
    """Names of the bundled templates, sorted."""
    return sorted(item.name.removesuffix(".yaml") for item in _templates_dir().iterdir()
                  if item.name.endswith(".yaml"))


def _template_file(name: str) -> Traversable:
    known = template_names()
    if name not in known:
        raise UnknownLibraryItem("template", name, known)
    return _templates_dir().joinpath(f"{name}.yaml")


def template_path(name: str) -> Path:
    """The template's YAML file, e.g. to copy it as the start of a new definition."""
    # Installed packages are plain directories here (no zip imports), so the resource is a real file.
    return Path(str(_template_file(name)))


def load_template(name: str, *, survey_id: str | None = None, title: str | None = None) -> Survey:
    """A bundled template as a checked Survey, optionally with its own id and title.

    Raises `UnknownLibraryItem` for an unknown name and `InvalidDefinition` (naming the field) for an id or
    title that a definition does not allow.
    """
    data = yaml.safe_load(_template_file(name).read_text(encoding="utf-8"))
    if survey_id is not None:
        data["id"] = survey_id
    if title is not None:
        data["title"] = title
    return build_survey(data, source=f"template {name!r}")
