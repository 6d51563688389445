"""The registry of question types, built from their declarations.

A question type is a subclass of `QuestionBase` with a literal `type` tag, decorated with `@register`; the
decorator is the only list of types there is. `Question` is the annotation that validates a question of any
registered type (a pydantic discriminated union on `type`, rebuilt whenever a type registers), so a type
declared later — in a plug-in module or a test — is accepted by `Survey` like the built-in ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema

if TYPE_CHECKING:
    from .base import QuestionBase

QUESTION_TYPES: dict[str, type[QuestionBase]] = {}
"""Every registered question type by its `type` tag, in registration order; contract tests iterate over it."""

_listeners: list[Callable[[], None]] = []

T = TypeVar("T", bound="type[QuestionBase]")


def type_tag(cls: type[QuestionBase]) -> str:
    return str(cls.model_fields["type"].default)


def register(cls: T) -> T:
    """Class decorator: add a question type to the registry (its `type` tag must be new)."""
    tag = type_tag(cls)
    if tag in QUESTION_TYPES and QUESTION_TYPES[tag] is not cls:
        raise ValueError(f"question type {tag!r} is already registered by {QUESTION_TYPES[tag].__name__}")
    QUESTION_TYPES[tag] = cls
    _changed()
    return cls


def unregister(tag: str) -> None:
    """Remove a type (tests that declare a throw-away type clean up with this)."""
    QUESTION_TYPES.pop(tag, None)
    _changed()


@contextmanager
def registered(cls: type[QuestionBase]) -> Iterator[type[QuestionBase]]:
    """Register `cls` for the duration of a `with` block."""
    register(cls)
    try:
        yield cls
    finally:
        unregister(type_tag(cls))


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` after every registration, e.g. to rebuild the models that hold questions."""
    _listeners.append(listener)


def _changed() -> None:
    for listener in _listeners:
        listener()


class _AnyRegisteredType:
    """Pydantic marker: validate as the discriminated union of the types registered when the schema is built."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        members = tuple(QUESTION_TYPES.values())
        union: Any = members[0] if len(members) == 1 else Union[members]  # noqa: UP007 - built at run time
        return handler.generate_schema(Annotated[union, Field(discriminator="type")])


if TYPE_CHECKING:
    Question = QuestionBase
else:
    from .base import QuestionBase

    Question = Annotated[QuestionBase, _AnyRegisteredType]
"""Annotation for a question of any registered type (`list[Question]` in a section)."""
