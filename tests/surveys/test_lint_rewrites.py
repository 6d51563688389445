"""`Finding.rewrites`: the corrected text the linter offers only when it is right (issue 16). Expected texts are
written out by hand."""

from __future__ import annotations

import pytest

from surveys.definition import build_survey
from surveys.lint import lint_survey


def rewrites(kind: str, text: str) -> dict[str, tuple[str, ...]]:
    survey = build_survey({"id": "x", "title": "X", "sections": [
        {"id": "a", "title": "A", "questions": [{"id": "q", "type": kind, "text": text}]}]})
    return {item.code: item.rewrites for item in lint_survey(survey)
            if item.code in ("leading_wording", "double_barrelled", "question_on_agreement_scale")}


@pytest.mark.parametrize(("kind", "text", "expected"), [
    # praise removed whole, the determiner and noun kept; its pair is not split (that would keep the praise)
    ("rating", "How satisfied are you with the help from our helpful and knowledgeable team?",
     {"leading_wording": ("How satisfied are you with the help from our team?",), "double_barrelled": ()}),
    ("rating", "How would you rate our fast, friendly staff?",
     {"leading_wording": ("How would you rate our staff?",), "double_barrelled": ()}),
    ("rating", "How would you rate our courteous staff?", {"leading_wording": ("How would you rate our staff?",)}),
    # a pair outside any praise is split into two questions
    ("rating", "How fast and friendly was the agent?",
     {"double_barrelled": ("How fast was the agent?", "How friendly was the agent?")}),
    ("rating", "How would you rate the speed and the accuracy of our answer?",
     {"double_barrelled": ("How would you rate the speed of our answer?",
                           "How would you rate the accuracy of our answer?")}),
    # more than two things: no split is offered
    ("rating", "How fast, clear and friendly was the agent?", {"double_barrelled": ()}),
    # a question on an agreement scale becomes the statement; the claim of "don't you agree" only there
    ("likert", "How easy was it to find what you needed?",
     {"question_on_agreement_scale": ("It was easy to find what you needed.",)}),
    ("likert", "Don't you agree that our staff were helpful?",
     {"leading_wording": ("Our staff were helpful.",), "question_on_agreement_scale": ()}),
    ("rating", "Don't you agree that our staff were helpful?", {"leading_wording": ()}),
])
def test_rewrites_are_offered_only_when_right(kind: str, text: str, expected: dict[str, tuple[str, ...]]) -> None:
    assert rewrites(kind, text) == expected
