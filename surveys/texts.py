"""Texts a respondent reads, in one language or several, and answers piped into them.

Every text of a definition (title, intros, question text and help, choice labels, grid rows, scale labels,
follow-up prompts, the thank-you text) is written either as a plain string, in the survey's default language, or
as a mapping of language codes to strings: `text: {en: How easy was it?, fr: Était-ce facile ?}`. Both load as a
`LocalText`, a `str` whose value is the default language's text, so code that reads a text without asking for a
language (scoring labels, the linter's English checks, exports) reads the default and needs nothing else; code
that renders for a respondent asks for one language with `localised(survey, language)`.

Piping: `{{ q_product }}` in a text shows the respondent's earlier answer to `q_product` (its label for a choice),
and `{{ customer.name }}` a field of the customer's record; `pipe(text, values)` fills them in, leaving the text
as plain text for the page's template to escape.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from .errors import Problem

if TYPE_CHECKING:
    from .model import Survey

LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
"""A BCP 47 language tag as definitions write it: `en`, `fr`, `pt-BR`."""
_LANGUAGE = re.compile(LANGUAGE_TAG)

LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
                  "nl": "Dutch", "pt": "Portuguese", "sv": "Swedish", "da": "Danish", "pl": "Polish"}
"""English names of common languages, for messages (`no French (fr) text`); other codes are shown as they are."""

_DEFAULT_LANGUAGE: ContextVar[str | None] = ContextVar("default_language", default=None)


def language_name(code: str) -> str:
    """'fr' → 'French (fr)'; an unknown code as it is."""
    name = LANGUAGE_NAMES.get(code.split("-")[0])
    return f"{name} ({code})" if name else code


class LocalText(str):
    """A text of the definition: the string of the survey's default language, with `texts` holding it per
    language when the definition gives it so (empty for a plain string, which is the default language's text).

    Two LocalTexts are equal when their strings and their translations are (so a changed translation is a changed
    definition); compared with a plain string, only the string counts."""

    texts: dict[str, str]

    def __new__(cls, value: str, texts: Mapping[str, str] | None = None) -> LocalText:
        made = super().__new__(cls, value)
        made.texts = dict(texts or {})
        return made

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LocalText):
            return str.__eq__(self, other) and self.texts == other.texts
        if isinstance(other, str):
            return str.__eq__(self, other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocalText, (str(self), self.texts))

    def in_language(self, language: str | None) -> str:
        """The text in `language`, or the default language's when it is not given in that one."""
        if language is None:
            return str(self)
        return self.texts.get(language, str(self))

    def dump(self) -> str | dict[str, str]:
        """As written in a definition: the plain string, or the mapping of languages to texts."""
        return dict(self.texts) if self.texts else str(self)


def texts_of(value: str, default_language: str) -> dict[str, str]:
    """Every language a text is given in, the default language's included."""
    if isinstance(value, LocalText) and value.texts:
        return dict(value.texts)
    return {default_language: str(value)}


class Localised:
    """Annotation marker: `Annotated[str, Localised(min_length=1, max_length=1000)]` is a definition text that
    may be given per language; each language's text is held to the limits (`Text`, `ShortText` below)."""

    def __init__(self, *, min_length: int = 0, max_length: int | None = None) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def _check(self, text: Any, language: str | None) -> str:
        where = f"the {language_name(language)} text" if language else "the text"
        if not isinstance(text, str):
            raise ValueError(f"{where} must be a string, not {type(text).__name__}")
        if len(text) < self.min_length:
            raise ValueError(f"{where} is empty" if self.min_length == 1 else
                             f"{where} must have at least {self.min_length} characters")
        if self.max_length is not None and len(text) > self.max_length:
            raise ValueError(f"{where} has {len(text)} characters; at most {self.max_length} are allowed")
        return text

    def validate(self, value: Any) -> LocalText:
        if isinstance(value, LocalText):
            if not value.texts:
                self._check(str(value), None)
            for language, text in value.texts.items():
                self._check(text, language)
            return value
        if isinstance(value, str):
            return LocalText(self._check(value, None))
        if isinstance(value, Mapping):
            if not value:
                raise ValueError("give the text, or at least one language's text ({en: …})")
            for language in value:
                if not isinstance(language, str) or not _LANGUAGE.match(language):
                    raise ValueError(f"{str(language)[:20]!r} is not a language code such as en, fr or pt-BR")
            texts = {language: self._check(text, language) for language, text in value.items()}
            default = _DEFAULT_LANGUAGE.get() or ("en" if "en" in texts else next(iter(texts)))
            if default not in texts:
                raise ValueError(f"no text in the default language, {language_name(default)} (given: "
                                 f"{', '.join(texts)})")
            return LocalText(texts[default], texts)
        raise ValueError("expected a text, or one text per language such as {en: …, fr: …}")

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: value.dump() if isinstance(value, LocalText) else value),
        )

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        text: dict[str, Any] = {"type": "string", "minLength": self.min_length}
        if self.max_length is not None:
            text["maxLength"] = self.max_length
        return {"anyOf": [text, {"type": "object", "propertyNames": {"pattern": LANGUAGE_TAG},
                                 "additionalProperties": text, "minProperties": 1}],
                "description": "A text, or one text per language ({en: …, fr: …})."}


@contextmanager
def default_language(language: str | None) -> Iterator[None]:
    """Texts given per language and validated inside this block take `language` as the default (the survey's
    `default_language`; `Survey` sets it while it validates its own texts)."""
    token = _DEFAULT_LANGUAGE.set(language)
    try:
        yield
    finally:
        _DEFAULT_LANGUAGE.reset(token)


Text = Annotated[str, Localised(min_length=1, max_length=1000)]
"""A question's text or a title: given, at most 1,000 characters in every language."""
LabelText = Annotated[str, Localised(min_length=1)]
"""A choice label, a grid row's label, a scale label: given in every language."""
Prose = Annotated[str, Localised()]
"""An optional text (help, intro, description, thank-you): `Prose | None`."""


# --- walking a definition's texts ------------------------------------------------------------------------------

def iter_texts(model: BaseModel, path: str = "") -> Iterator[tuple[str, LocalText]]:
    """(definition path, text) of every text written in the definition, in order: `sections[0].questions[1].text`.
    Texts a question type fixes (an agreement scale's labels) and defaults left as they are, are not written in
    the definition and are not listed."""
    for name in type(model).model_fields:
        yield from _texts_in(getattr(model, name), f"{path}.{name}" if path else name)


def _texts_in(value: Any, path: str) -> Iterator[tuple[str, LocalText]]:
    if isinstance(value, LocalText):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_texts(value, path)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _texts_in(item, f"{path}[{index}]")


M = TypeVar("M", bound=BaseModel)


def map_texts(model: M, change: Callable[[LocalText], LocalText]) -> M:
    """A copy of `model` with `change` applied to every text written in it (the model itself is unchanged;
    parts holding no text are shared)."""
    update = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        changed = _map_value(value, change)
        if changed is not value:
            update[name] = changed
    return model.model_copy(update=update) if update else model


def _map_value(value: Any, change: Callable[[LocalText], LocalText]) -> Any:
    if isinstance(value, LocalText):
        return change(value)
    if isinstance(value, BaseModel):
        return map_texts(value, change)
    if isinstance(value, (list, tuple)):
        items = [_map_value(item, change) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return type(value)(items)
    return value


_MEMOS: dict[int, tuple[weakref.ref[Survey], dict[str, Any]]] = {}
"""Per survey (by identity, while it lives): its views in other languages, whether it pipes."""


def _memo(survey: Survey) -> dict[str, Any]:
    """What is remembered about this survey object (forgotten when it is garbage-collected)."""
    key = id(survey)
    held = _MEMOS.get(key)
    if held is None or held[0]() is not survey:
        held = _MEMOS[key] = (weakref.ref(survey, lambda _: _MEMOS.pop(key, None)), {})
    return held[1]


def localised(survey: Survey, language: str | None) -> Survey:
    """The survey as a respondent reading `language` sees it: every text in that language, or in the default
    language where the definition gives none in it. Translations are kept (`texts`), so nothing is lost; the
    result is cached on the survey."""
    if language is None or language == survey.default_language or language not in survey.all_languages:
        return survey
    memo = _memo(survey)
    if language not in memo:
        memo[language] = map_texts(survey, lambda text: LocalText(text.in_language(language), text.texts))
    view: Survey = memo[language]
    return view


def offered_language(survey: Survey, language: str | None) -> str | None:
    """`language` when the survey is offered in it, or its primary tag when that is (fr-CA → fr); else None."""
    if not language:
        return None
    if language in survey.all_languages:
        return language
    primary = language.replace("_", "-").split("-")[0].lower()
    return primary if primary in survey.all_languages else None


def missing_texts(survey: Survey) -> list[tuple[str, str]]:
    """(definition path, language) of every text not given in one of the survey's languages."""
    missing = []
    for path, text in iter_texts(survey):
        given = texts_of(text, survey.default_language)
        missing += [(path, language) for language in survey.all_languages if language not in given]
    return missing


def undeclared_languages(survey: Survey) -> list[tuple[str, str]]:
    """(definition path, language) of every text given in a language the survey does not list in `languages`."""
    found = []
    for path, text in iter_texts(survey):
        found += [(path, language) for language in text.texts if language not in survey.all_languages]
    return found


# --- piping --------------------------------------------------------------------------------------------------

PIPE = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?)\s*\}\}")
"""`{{ q_product }}` (an earlier answer) or `{{ customer.name }}` (a customer field)."""
CUSTOMER_FIELDS = ("id", "name")
"""Customer fields a text may show: `{{ customer.id }}`, `{{ customer.name }}` (from the customer list)."""


def piped_names(text: str) -> list[str]:
    """The names piped into a text, in order: `['q_product', 'customer.name']`."""
    return [match.group(1) for match in PIPE.finditer(text)]


def pipe(text: str, values: Mapping[str, str]) -> str:
    """The text with each `{{ name }}` replaced by `values[name]`; a name without a value (a question skipped) is
    replaced by nothing. The result is plain text: the page's template escapes it like any other text."""
    if "{{" not in text:
        return text
    return PIPE.sub(lambda match: values.get(match.group(1), ""), text)


def check_texts(survey: Survey, calculated: Mapping[str, int] | None = None) -> list[Problem]:
    """Problems of the definition's texts that no single field can see: a language the survey does not list, and
    a piped name that is neither a customer field nor a question answered on an earlier page (nor a value
    `calculated` from the answers up to the page given with it)."""
    problems = [Problem(path, f"{language_name(language)} is not one of the survey's languages ("
                              f"{', '.join(survey.all_languages)}); add it to `languages`")
                for path, language in undeclared_languages(survey)]
    page_of = {question.id: index for index, section in enumerate(survey.sections) for question in section.questions}
    page_of |= {name: last for name, last in (calculated or {}).items() if name not in page_of}
    for path, text in iter_texts(survey):
        if path.startswith("mail."):
            continue  # Jinja templates with variables of their own (surveys/mail_texts.py)
        page = _page_of_path(path, len(survey.sections))
        for language, given in texts_of(text, survey.default_language).items():
            for name in piped_names(given):
                problem = _pipe_problem(name, page, page_of)
                if problem:
                    where = f" ({language_name(language)} text)" if text.texts else ""
                    problems.append(Problem(path, f"{{{{ {name} }}}}{where}: {problem}"))
    return problems


def _page_of_path(path: str, pages: int) -> int:
    """The page a text is shown on: its section's; a survey-wide text (title, intro) is on the first page, the
    thank-you text after the last."""
    match = re.match(r"sections\[(\d+)\]", path)
    if match:
        return int(match.group(1))
    return pages if path.startswith(("thank_you", "screen_out")) else 0


def _pipe_problem(name: str, page: int, page_of: Mapping[str, int]) -> str | None:
    head, _, field = name.partition(".")
    if head == "customer":
        return None if field in CUSTOMER_FIELDS else (
            f"customers have no field {field!r}; a text may show {', '.join('customer.' + f for f in CUSTOMER_FIELDS)}")
    if field:
        return f"{name!r} is not something a text can show (an earlier question's id, or customer.name)"
    if head not in page_of:
        return f"{head!r} is not a question of this survey"
    if page_of[head] >= page:
        return f"{head!r} is not answered on an earlier page, so its answer is not known yet"
    return None


def has_piping(survey: Survey) -> bool:
    """Whether any text of the survey, in any language, pipes an answer or a customer field (cached)."""
    memo = _memo(survey)
    if "{{piping}}" not in memo:  # a key no language code can be
        memo["{{piping}}"] = any(PIPE.search(given) for _, text in iter_texts(survey)
                                 for given in texts_of(text, survey.default_language).values())
    return bool(memo["{{piping}}"])


def pipe_values(survey: Survey, answers: Mapping[str, Any], customer: Mapping[str, str | None]) -> dict[str, str]:
    """What each `{{ name }}` shows for one respondent: a choice by its label (in `survey`'s language, so pass the
    localised survey), several choices joined by commas, a number or a text as it is; a grid's answer shows
    nothing. `customer` holds the customer's fields (`id`, `name`), None when unknown."""
    values = {f"customer.{name}": value for name, value in customer.items() if value}
    for question in survey.questions():
        answer = answers.get(question.id)
        if answer is None or isinstance(answer, Mapping):
            continue
        labels = dict(question.options()) if question.value_kind in ("choice", "multi") else {}
        if isinstance(answer, list):
            values[question.id] = ", ".join(labels.get(str(item), str(item)) for item in answer)
        elif isinstance(answer, float) and answer.is_integer():
            values[question.id] = str(int(answer))
        else:
            values[question.id] = labels.get(str(answer), str(answer))
    return values


def piped(survey: Survey, values: Mapping[str, str]) -> Survey:
    """The survey with `values` filled into every text that pipes one (`pipe`); the survey itself when none does."""
    if not has_piping(survey):
        return survey
    return map_texts(survey, lambda text: LocalText(pipe(text, values), text.texts) if "{{" in text else text)
