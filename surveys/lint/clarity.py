"""Checks that a rated question says clearly what it asks: vague questions, two qualities joined by a comma or
"or", yes/no questions on agreement scales, and statements put on a rating scale (docs/linter.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Survey
from .findings import Finding, finding
from .praise import praised
from .vocabulary import (
    EVALUATIVE_ADJECTIVES,
    FIXED_OR_PHRASES,
    OPPOSITE_PAIRS,
    PROMOTIONAL_WORDS,
    QUALITY_WORDS,
    VAGUE_WORDS,
)
from .walk import Placed, placed_questions, words
from .walk import plain as _plain

_QUALITIES = EVALUATIVE_ADJECTIVES | set(PROMOTIONAL_WORDS) | set(QUALITY_WORDS)
_COMMA_PAIR = re.compile(r"\b(?P<first>[A-Za-z-]+)\s*,\s*(?P<second>[A-Za-z-]+)\b(?!\s*,|\s+(?:and|or|&)\b)")
_OR_PAIR = re.compile(r"\b(?P<first>[A-Za-z-]+)\s+or\s+(?P<second>[A-Za-z-]+)\b", re.IGNORECASE)
YES_NO = re.compile(r"^\s*(?:did|do|does|was|were|is|are|have|has|had|can|could|will|would|should)\b", re.IGNORECASE)
"""A question answered yes or no ("Did the agent solve your problem?")."""
_QUESTION_START = re.compile(
    r"^\s*(?:how|what|which|why|when|where|who|whom|whose|did|do|does|was|were|is|are|have|has|had|can|could|"
    r"would|will|should|shall|may|to what extent|overall,? how)\b", re.IGNORECASE)
_INSTRUCTION = re.compile(r"^\s*(?:please|rate|tell|select|choose|pick|indicate|think|give|let|describe|score|"
                          r"on a scale|using|thinking|overall)\b", re.IGNORECASE)
_FINITE_VERB = re.compile(r"\b(?:was|were|is|are|has|have|had|made|makes|did|does|took|felt|found|got|gave|"
                          r"kept|solved|answered|helped|arrived|worked)\b", re.IGNORECASE)
_SUBJECT_VERB_ADJECTIVE = re.compile(r"^\s*(?P<subject>(?:the|your|our|my|their)\s+[\w' -]+?)\s+(?P<verb>was|were|is|"
                                     r"are)\s+(?P<adjective>[A-Za-z-]+)\s*[.!]?\s*$", re.IGNORECASE)
_VERB_SUBJECT_ADJECTIVE = re.compile(r"^\s*(?P<verb>was|were|is|are)\s+(?P<subject>(?:the|your|our)\s+[\w' -]+?)\s+"
                                     r"(?P<adjective>[A-Za-z-]+)\s*\?\s*$", re.IGNORECASE)


def check_clarity(survey: Survey) -> Iterator[Finding]:
    """The clarity checks over every rated question (open text, numbers and multi-choice lists are not rated)."""
    for placed in placed_questions(survey):
        question = placed.question
        if not question.single_judgement:
            continue
        if not question.is_grid:  # a grid's text introduces its rows, which say what is rated
            yield from _vague(placed)
            if question.agreement:
                yield from _yes_no_on_agreement_scale(placed)
            else:
                yield from _statement_not_question(placed)
        yield from _paired_qualities(placed)


def _vague(placed: Placed) -> Iterator[Finding]:
    question = placed.question
    content = [word for word in words(_plain(question.text).lower()) if word not in VAGUE_WORDS]
    if content:
        return
    yield finding(
        "vague_question", f"{placed.path}.text", question.id,
        f"“{question.text}” does not say what is being rated; respondents rate different things (the product, the "
        "last call, the whole year), so the answers cannot be compared or acted on.",
        "Name what is rated and how: e.g. “How satisfied are you with the delivery of your last order?” or "
        "“How easy was it to place your order?”.",
    )


def _paired_qualities(placed: Placed) -> Iterator[Finding]:
    """Two rated qualities joined by a comma ("fast, friendly service") or "or" ("polite or helpful")."""
    question = placed.question
    text = _plain(question.text)
    lower = text.lower()
    for pattern, how in ((_COMMA_PAIR, "a comma"), (_OR_PAIR, "“or”")):
        for match in pattern.finditer(text):
            first, second = match["first"].lower(), match["second"].lower()
            if first not in _QUALITIES or second not in _QUALITIES or first == second:
                continue
            if (first, second) in OPPOSITE_PAIRS or (second, first) in OPPOSITE_PAIRS:
                continue  # the two ends of one scale: "fast or slow"
            if any(phrase in lower for phrase in FIXED_OR_PHRASES if match.group(0).lower() in phrase):
                continue
            original = question.text  # the author's own apostrophes in the rewrites (`text` has plain ones)
            halves = [original[:match.start()] + word + original[match.end():]
                      for word in (match["first"], match["second"])]
            yield finding(
                "double_barrelled", f"{placed.path}.text", question.id,
                f"“{match.group(0)}” joins two qualities with {how}; a customer who found one but not the other "
                "has no honest answer, and a low score cannot say which fell short.",
                f"Ask about “{match['first']}” and “{match['second']}” in two separate questions: “{halves[0]}” and "
                f"“{halves[1]}”.",
                () if praised(text, match.start(), match.end()) else (halves[0], halves[1]),
            )
            return


def _yes_no_on_agreement_scale(placed: Placed) -> Iterator[Finding]:
    question = placed.question
    text = _plain(question.text).strip()
    if not YES_NO.match(text):
        return
    rewrite = _VERB_SUBJECT_ADJECTIVE.match(text)
    if rewrite:
        subject = _first_person(rewrite["subject"])
        statement = f"{subject[:1].upper()}{subject[1:]} {rewrite['verb'].lower()} {rewrite['adjective']}."
        suggestion = (f"Write it as a statement to agree or disagree with: “{statement}”, or ask it as a yes/no "
                      "single choice.")
    else:
        suggestion = ("Write it as a statement to agree or disagree with (e.g. “The agent solved my problem.”), or "
                      "ask it as a yes/no single choice.")
    yield finding(
        "yes_no_on_agreement_scale", f"{placed.path}.text", question.id,
        "a yes/no question is answered on an agree–disagree scale: “Strongly agree” is no answer to “Did …?”, so "
        "respondents guess what the points mean.",
        suggestion,
    )


def _statement_not_question(placed: Placed) -> Iterator[Finding]:
    """A full sentence that states something, put on a rating or choice scale that is not about agreeing."""
    question = placed.question
    text = _plain(question.text).strip()
    if text.endswith("?") or _QUESTION_START.match(text) or _INSTRUCTION.match(text) or ":" in text:
        return
    if len(words(text)) < 3 or not _FINITE_VERB.search(text):
        return  # a label ("Delivery speed") or an instruction, not a statement
    rewrite = _SUBJECT_VERB_ADJECTIVE.match(text)
    if rewrite:
        subject = _second_person(rewrite["subject"])
        suggestion = (f"Ask it as a question: “How {rewrite['adjective'].lower()} {rewrite['verb'].lower()} "
                      f"{subject}?”, or answer the statement on an agreement scale (likert).")
    else:
        suggestion = ("Ask it as a question (“How … was …?”) that the scale answers, or answer the statement on an "
                      "agreement scale (likert).")
    yield finding(
        "statement_not_question", f"{placed.path}.text", question.id,
        f"“{question.text}” is a statement, but it is answered on a {question.type} scale, not an agree–disagree "
        "one: respondents must guess whether the points mean how much they agree or how good it was.",
        suggestion,
    )


def _first_person(subject: str) -> str:
    return re.sub(r"\byour\b", "my", subject.strip(), flags=re.IGNORECASE)


def _second_person(subject: str) -> str:
    text = re.sub(r"\bmy\b", "your", subject.strip(), flags=re.IGNORECASE)
    return text[:1].lower() + text[1:]
