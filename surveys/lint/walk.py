"""Walking a survey with the definition path of each question, shared by the checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..model import Section, Survey
from ..questions import QuestionBase

WORD = re.compile(r"[A-Za-z0-9À-ÿ]+(?:['’-][A-Za-z0-9À-ÿ]+)*")


@dataclass(frozen=True)
class Placed:
    """A question with where it sits: section index, question index, its section and its path."""

    section_index: int
    index: int
    section: Section
    question: QuestionBase

    @property
    def path(self) -> str:
        return f"sections[{self.section_index}].questions[{self.index}]"


def placed_questions(survey: Survey) -> Iterator[Placed]:
    """Every question in order, with its position."""
    for s, section in enumerate(survey.sections):
        for q, question in enumerate(section.questions):
            yield Placed(s, q, section, question)


def words(text: str) -> list[str]:
    """The words of a text (numbers count as words, hyphenated and apostrophe forms as one)."""
    return WORD.findall(text)



def plain(text: str) -> str:
    """Typographic apostrophes as ASCII ones, so "don’t" matches like "don't"."""
    return text.replace("’", "'").replace("‘", "'")
