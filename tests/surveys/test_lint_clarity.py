"""The clarity checks of issue 13, each with triggering questions and near misses worked out from the texts: vague
questions, qualities joined by a comma or "or", yes/no questions on agreement scales, statements on a rating scale,
and the fixed phrases ("…to friends and family") that are not double-barrelled."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.lint import CODES, lint_survey

from .test_lint import found, rating, survey_of


def likert(text: str, question_id: str = "q") -> dict[str, Any]:
    return {"id": question_id, "type": "likert", "text": text}


def codes_of(question: dict[str, Any]) -> set[str]:
    return {item.code for item in lint_survey(survey_of(question))}


def test_the_new_codes_are_warnings() -> None:
    assert {CODES[code] for code in ("vague_question", "yes_no_on_agreement_scale", "statement_not_question")} == {
        "warning"}


# --- vague_question ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["How was your experience?", "Rating", "How did we do?", "What do you think?",
                                  "Your overall rating", "How was everything today?", "Overall experience"])
def test_a_question_that_does_not_say_what_is_rated_is_vague(text: str) -> None:
    [item] = found(survey_of(rating(text)), "vague_question")
    assert (item.path, item.question_id, item.severity) == ("sections[0].questions[0].text", "q", "warning")
    assert "does not say what is being rated" in item.message


@pytest.mark.parametrize("question", [
    rating("How was your experience with our delivery?"),  # names what is rated
    rating("How was your visit?"),
    {"id": "q", "type": "csat", "text": "How satisfied are you overall?"},  # the dimension is named
    {"id": "q", "type": "csat", "text": "Overall satisfaction"},
    {"id": "q", "type": "nps", "text": "How likely are you to recommend Acme to a friend?"},
    {"id": "q", "type": "text", "text": "Any other feedback?"},  # an open question may be broad
])
def test_near_misses_are_not_vague(question: dict[str, Any]) -> None:
    assert "vague_question" not in codes_of(question)


# --- double_barrelled: comma and "or" ------------------------------------------------------------------------

def test_two_qualities_joined_by_a_comma_are_double_barrelled() -> None:
    [item] = found(survey_of(rating("How would you rate our fast, friendly service?")), "double_barrelled")
    assert "“fast, friendly” joins two qualities with a comma" in item.message
    assert item.suggestion == ("Ask about “fast” and “friendly” in two separate questions: “How would you rate our "
                               "fast service?” and “How would you rate our friendly service?”.")


def test_two_qualities_joined_by_or_are_double_barrelled() -> None:
    [item] = found(survey_of(rating("Was the agent polite or helpful?")), "double_barrelled")
    assert "“polite or helpful” joins two qualities with “or”" in item.message


@pytest.mark.parametrize("text", [
    "How satisfied or dissatisfied are you with the delivery?",  # the two ends of one scale
    "Was the delivery fast or slow?",
    "Did you contact us by phone or e-mail?",  # alternatives, not qualities
    "Thinking of your order, how easy was it to pay?",  # a comma, but no pair of qualities
    "How likely are you to recommend us to a friend or colleague?",
])
def test_pairs_that_are_one_thing_are_not_double_barrelled(text: str) -> None:
    assert found(survey_of(rating(text)), "double_barrelled") == []


@pytest.mark.parametrize("text", ["How likely are you to recommend Acme to friends and family?",
                                  "How likely is it that you would recommend us to family and friends?"])
def test_recommending_to_friends_and_family_is_a_fixed_phrase(text: str) -> None:
    assert found(survey_of({"id": "q", "type": "nps", "text": text}), "double_barrelled") == []


def test_the_allow_list_does_not_hide_a_real_pair_in_the_same_question() -> None:
    text = "How fast and friendly was the agent you would recommend to friends and family?"
    [item] = found(survey_of(rating(text)), "double_barrelled")
    assert "“fast and friendly”" in item.message


# --- yes_no_on_agreement_scale -------------------------------------------------------------------------------

def test_a_yes_no_question_on_an_agreement_scale() -> None:
    [item] = found(survey_of(likert("Was your order complete?")), "yes_no_on_agreement_scale")
    assert item.suggestion.startswith("Write it as a statement to agree or disagree with: “My order was complete.”")
    assert found(survey_of(likert("Was your order complete?")), "question_on_agreement_scale") == []


def test_a_wh_question_on_an_agreement_scale_keeps_its_own_code() -> None:
    survey = survey_of(likert("How easy was it to reach us?"))
    assert found(survey, "yes_no_on_agreement_scale") == [] and len(found(survey, "question_on_agreement_scale")) == 1


@pytest.mark.parametrize("question", [likert("My order was complete."),  # a statement: right on this scale
                                      rating("Was your order complete?")])  # not an agreement scale
def test_near_misses_are_not_yes_no_on_agreement_scale(question: dict[str, Any]) -> None:
    assert "yes_no_on_agreement_scale" not in codes_of(question)


# --- statement_not_question ----------------------------------------------------------------------------------

def test_a_statement_on_a_rating_scale() -> None:
    [item] = found(survey_of(rating("The agent was helpful.")), "statement_not_question")
    assert "is answered on a rating scale, not an agree–disagree one" in item.message
    assert item.suggestion.startswith("Ask it as a question: “How helpful was the agent?”")


def test_a_statement_with_my_becomes_a_question_with_your() -> None:
    [item] = found(survey_of({"id": "q", "type": "csat", "text": "My delivery was punctual"}),
                   "statement_not_question")
    assert "“How punctual was your delivery?”" in item.suggestion


@pytest.mark.parametrize("question", [
    rating("How helpful was the agent?"),  # a question
    rating("Please rate the agent's helpfulness."),  # an instruction
    rating("Delivery speed"),  # a label, no verb
    likert("The agent was helpful."),  # a statement on an agreement scale is right
    {"id": "q", "type": "ces", "text": "Acme made it easy to handle my issue."},
    rating("Thinking of your last visit: the store was clean."),  # introduced by a colon
])
def test_near_misses_are_not_statements_on_a_rating_scale(question: dict[str, Any]) -> None:
    assert "statement_not_question" not in codes_of(question)
