"""Checks on answer scales and choice lists: labels, balance, midpoints, duplicate labels."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal

from ..model import Survey
from ..questions import Scale
from .findings import Finding, finding
from .vocabulary import NEGATIVE_LABEL_WORDS, NEUTRAL_LABELS, OPT_OUT_LABELS, POSITIVE_LABEL_WORDS
from .walk import placed_questions

Side = Literal["positive", "negative", "neutral", "opt_out"]

_NEGATED_POSITIVE = re.compile(r"\bnot (?:at all |very |so |too )?(?:" + "|".join(POSITIVE_LABEL_WORDS) + r")\b")
_NEGATIVE = re.compile(r"\b(?:" + "|".join(NEGATIVE_LABEL_WORDS) + r")\b")
_POSITIVE = re.compile(r"\b(?:" + "|".join(POSITIVE_LABEL_WORDS) + r")\b")


def side_of(label: str) -> Side | None:
    """Which side of an evaluative scale a label sits on; None when it is not evaluative (a channel, a frequency)."""
    text = re.sub(r"[^\w'/ -]", "", label.lower().replace("’", "'")).strip()
    text = re.sub(r"^\d+\s*[-–]?\s*", "", text)  # "1 – Very poor" → "very poor"
    if text in OPT_OUT_LABELS:
        return "opt_out"
    if text.startswith("neither") or (
        text.startswith(NEUTRAL_LABELS) and not _POSITIVE.search(text) and not _NEGATIVE.search(text)
    ):
        return "neutral"
    if _NEGATED_POSITIVE.search(text) or _NEGATIVE.search(text):
        return "negative"
    if _POSITIVE.search(text):
        return "positive"
    return None


def check_scales(survey: Survey) -> Iterator[Finding]:
    """Scale and choice-list checks over every question."""
    for placed in placed_questions(survey):
        question, path = placed.question, placed.path
        scale = question.own_scale()
        if scale is not None:
            yield from _check_scale(scale, f"{path}.scale", question.id)
        labels = [choice.label for choice in question.own_choices()]
        yield from _duplicate_labels(labels, path, question.id)
        if question.value_kind == "choice":
            # one pick from the list, so it may be an evaluative scale (a multi-choice list is not one)
            yield from _check_choice_list(labels, f"{path}.choices", question.id)
        if getattr(question, "randomize", False) and _ordered(labels):
            yield finding(
                "randomised_scale", f"{path}.randomize", question.id,
                f"the choices run from “{labels[0]}” to “{labels[-1]}”, an ordered scale; shuffled, each respondent "
                "must hunt for their point and the scale's order is lost.",
                "Remove `randomize: true`; shuffle unordered lists (brands, reasons, touchpoints) only.",
            )


def _ordered(labels: list[str]) -> bool:
    """Choices that are an ordered evaluative scale: one end negative, the other positive (Poor … Excellent)."""
    if len(labels) < 3:
        return False
    ends = {side_of(labels[0]), side_of(labels[-1])}
    return ends == {"positive", "negative"}


def _check_scale(scale: Scale, path: str, question_id: str) -> Iterator[Finding]:
    if scale.labels is None and not (scale.min_label and scale.max_label):
        yield finding(
            "unlabelled_scale", path, question_id,
            f"the {scale.min}–{scale.max} scale does not say what its ends mean, so respondents guess which end "
            "is good and answers are not comparable.",
            f"Label both ends, e.g. `scale: {{min: {scale.min}, max: {scale.max}, min_label: Very poor, "
            "max_label: Excellent}`.",
        )
        return
    if scale.labels is not None:
        yield from _check_choice_list(list(scale.labels), f"{path}.labels", question_id)
        return
    ends = [side_of(scale.min_label or ""), side_of(scale.max_label or "")]
    if ends[0] == ends[1] and ends[0] in ("positive", "negative"):
        yield finding(
            "unbalanced_scale", path, question_id,
            f"both ends of the scale are {ends[0]} (“{scale.min_label}” … “{scale.max_label}”), so there is no way "
            "to give the opposite answer.",
            "Make the ends opposites, e.g. “Very poor” … “Excellent”.",
        )
    elif scale.points % 2 == 0:
        yield finding(
            "no_midpoint", path, question_id,
            f"the {scale.min}–{scale.max} scale has {scale.points} points and no midpoint: respondents with no "
            "opinion must lean one way. Fine when intended.",
            "Keep it if a forced choice is what you want; otherwise use an odd number of points.",
        )


def _check_choice_list(labels: Sequence[str], path: str, question_id: str) -> Iterator[Finding]:
    sides = [side_of(label) for label in labels]
    rated = [(label, side) for label, side in zip(labels, sides, strict=True) if side != "opt_out"]
    if len(rated) < 3 or any(side is None for _, side in rated):
        return  # not an evaluative scale (channels, reasons, frequencies …)
    positive = [label for label, side in rated if side == "positive"]
    negative = [label for label, side in rated if side == "negative"]
    neutral = [label for label, side in rated if side == "neutral"]
    if len(positive) != len(negative):
        heavy, light = ("favourable", "unfavourable") if len(positive) > len(negative) else (
            "unfavourable", "favourable")
        yield finding(
            "unbalanced_scale", path, question_id,
            f"{len(positive)} positive option(s) ({_quoted(positive)}) against {len(negative)} negative "
            f"({_quoted(negative)}): the list leans {heavy}, and {light} answers get squeezed.",
            "Give both sides the same number of options, e.g. Very good / Good / Neither good nor poor / Poor / "
            "Very poor.",
        )
    elif not neutral and len(rated) % 2 == 0:
        yield finding(
            "no_midpoint", path, question_id,
            f"{len(rated)} options with no middle option: respondents with no opinion must lean one way. "
            "Fine when intended.",
            "Keep it if a forced choice is what you want; otherwise add a midpoint such as “Neither agree nor "
            "disagree”.",
        )


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(f"“{label}”" for label in labels) or "none"


def _duplicate_labels(labels: Sequence[str], path: str, question_id: str) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        key = " ".join(label.lower().split())
        if key in seen:
            yield finding(
                "duplicate_choice_label", f"{path}.choices[{index}].label", question_id,
                f"“{label}” is also the label of choice {seen[key]}; respondents cannot tell the two apart.",
                "Give each choice a distinct label, or merge the two choices.",
            )
        else:
            seen[key] = index
