"""Standard ordered scales recognised in an imported choice list: 5- and 7-point agreement, 5-point satisfaction.

A KoboToolbox or ODK form asks "Strongly disagree … Strongly agree" as a plain `select_one`; cxroi reads such a
list as the scale question it is (`likert`, `csat`), so it is linted as a scale and scored. The choices may come
in either order and with their own names; each choice name is mapped to its scale point, and the importer shows
the mapping. `cxroi_type: single_choice` on the row keeps the list as plain choices (docs/xlsform.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_AGREE_5 = (
    {"strongly disagree", "completely disagree", "totally disagree", "disagree strongly"},
    {"disagree", "somewhat disagree", "tend to disagree", "mostly disagree", "slightly disagree"},
    {"neither agree nor disagree", "neither agree or disagree", "neutral", "neither disagree nor agree",
     "undecided"},
    {"agree", "somewhat agree", "tend to agree", "mostly agree", "slightly agree"},
    {"strongly agree", "completely agree", "totally agree", "agree strongly"},
)
_AGREE_7 = (
    _AGREE_5[0],
    {"disagree", "mostly disagree", "moderately disagree"},
    {"somewhat disagree", "slightly disagree", "tend to disagree"},
    _AGREE_5[2],
    {"somewhat agree", "slightly agree", "tend to agree"},
    {"agree", "mostly agree", "moderately agree"},
    _AGREE_5[4],
)
_SATISFIED_5 = (
    {"very dissatisfied", "extremely dissatisfied", "very unsatisfied", "completely dissatisfied"},
    {"dissatisfied", "somewhat dissatisfied", "unsatisfied", "fairly dissatisfied"},
    {"neither satisfied nor dissatisfied", "neither satisfied or dissatisfied", "neutral",
     "neither dissatisfied nor satisfied"},
    {"satisfied", "somewhat satisfied", "fairly satisfied"},
    {"very satisfied", "extremely satisfied", "completely satisfied"},
)
_SCALES: tuple[tuple[str, dict[str, Any], tuple[set[str], ...]], ...] = (
    ("likert", {"points": 5}, _AGREE_5),
    ("likert", {"points": 7}, _AGREE_7),
    ("csat", {}, _SATISFIED_5),
)


@dataclass(frozen=True)
class RecognisedScale:
    """A choice list read as a scale question: its type, its settings, and the scale point of each choice."""

    type: str
    settings: dict[str, Any]
    points: tuple[int, ...]
    """The scale point of each choice, in the list's order (1 = the disagree / dissatisfied end)."""


def _one_text(label: str | Mapping[str, str] | None) -> str:
    if isinstance(label, Mapping):
        return str(label.get("en") or next(iter(label.values()), "") or "")
    return label or ""


def _plain(label: str) -> str:
    """'1 - Strongly Agree!' → 'strongly agree'."""
    text = re.sub(r"^\s*\d+\s*[-–.:=)]?\s*", "", label.lower())
    text = re.sub(r"[^a-z ]", " ", text)
    return " ".join(text.split())


def recognise_scale(labels: Sequence[str | Mapping[str, str] | None]) -> RecognisedScale | None:
    """The standard scale the labels are, in order from either end; None when they are not exactly one. A label
    given per language ({language: text}) is read in English when it has English, else in its first language."""
    plain = [_plain(_one_text(label)) for label in labels]
    for type_name, settings, points in _SCALES:
        if len(plain) != len(points):
            continue
        for direction in (points, points[::-1]):
            if all(label in words for label, words in zip(plain, direction, strict=True)):
                values = range(1, len(points) + 1) if direction is points else range(len(points), 0, -1)
                return RecognisedScale(type_name, dict(settings), tuple(values))
    return None
