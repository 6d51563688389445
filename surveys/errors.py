"""Errors caused by the user's input (files, definitions, options): the base class, and a definition's problems.

The command line prints such an error as a clear message and exits non-zero, without a traceback;
the web app shows it next to the form field or upload it concerns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PROBLEMS_SHOWN = 100
"""A message lists at most this many problems of a definition, then says how many more there are."""


class CxroiError(Exception):
    """Bad input from the user; `exit_code` is what the command line exits with."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (a path such as `sections[1].questions[0].scale.max`, or a
    sheet, row and column of an XLSForm) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidDefinition(CxroiError, ValueError):
    """A definition that cannot be loaded; `problems` lists each path and what is wrong there (the first
    PROBLEMS_SHOWN, then one line counting the rest)."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems[:PROBLEMS_SHOWN])
        if len(problems) > PROBLEMS_SHOWN:  # a page or terminal listing a million problems helps nobody
            self.problems.append(Problem("", f"… and {len(problems) - PROBLEMS_SHOWN:,} more problems"))
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))
