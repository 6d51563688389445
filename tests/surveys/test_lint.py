"""The linter's wording and scale checks: each has a question that should trigger it and a close one that
should not. Expected findings are worked out from the question texts, not from the linter's output."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from surveys import build_survey
from surveys.lint import CODES, Finding, findings_by_question, lint_survey
from surveys.model import Survey

LABELLED = {"min": 1, "max": 5, "min_label": "Very poor", "max_label": "Excellent"}


def survey_of(*questions: dict[str, Any], **fields: Any) -> Survey:
    """A one-page survey around the given questions, linkable to customers so that warning stays out."""
    data: dict[str, Any] = {
        "id": "t", "title": "Your visit", "customer_id_param": "cid",
        "brand_promises": [{"id": "easy", "label": "We make things easy"}],
        "touchpoints": [{"id": "ordering", "label": "Ordering"}],
        "sections": [{"id": "s", "title": "About your visit", "questions": list(questions)}],
    }
    data.update(fields)
    return build_survey(data)


def rating(text: str, question_id: str = "q", **extra: Any) -> dict[str, Any]:
    return {"id": question_id, "type": "rating", "text": text, "scale": LABELLED, **extra}


def found(survey: Survey, code: str) -> list[Finding]:
    return [item for item in lint_survey(survey) if item.code == code]


# --- double_barrelled -----------------------------------------------------------------------------------------

def test_two_adjectives_joined_by_and_are_double_barrelled() -> None:
    [item] = found(survey_of(rating("How fast and friendly was the agent who helped you?")), "double_barrelled")
    assert (item.severity, item.path, item.question_id) == ("warning", "sections[0].questions[0].text", "q")
    assert "“fast”" in item.suggestion and "“friendly”" in item.suggestion


def test_two_nouns_after_a_determiner_are_double_barrelled() -> None:
    [item] = found(survey_of(rating("How would you rate the speed and the accuracy of our answer?")),
                   "double_barrelled")
    assert "“speed”" in item.suggestion and "“accuracy”" in item.suggestion  # the word after "the", not "the"


@pytest.mark.parametrize("text", [
    "How easy was it to get your issue resolved?",
    "How would you rate the time between your order and its delivery?",  # "between … and" is one span
    "How would you rate your visit to Marks and Spencer?",  # a proper name
    "How would you rate our terms and conditions?",  # an idiom naming one thing
])
def test_single_subject_questions_are_not_double_barrelled(text: str) -> None:
    assert found(survey_of(rating(text)), "double_barrelled") == []


def test_an_open_question_may_ask_two_things() -> None:
    survey = survey_of({"id": "q", "type": "text", "text": "What went well and what could we improve?"})
    assert found(survey, "double_barrelled") == []


def test_an_and_in_a_ces_statement_is_double_barrelled() -> None:
    survey = survey_of({"id": "q_ces", "type": "ces", "text": "Acme made it easy to find and buy what I needed."})
    [item] = found(survey, "double_barrelled")
    assert item.question_id == "q_ces" and "“find”" in item.suggestion and "“buy”" in item.suggestion


def test_the_double_barrelled_suggestion_gives_the_two_questions() -> None:
    [item] = found(survey_of(rating("How fast and friendly was the agent who helped you?")), "double_barrelled")
    # worked out by hand: the pair "fast and friendly" replaced by each of its words
    assert ("“How fast was the agent who helped you?” and “How friendly was the agent who helped you?”"
            in item.suggestion)
    [item] = found(survey_of(rating("How would you rate the speed and the accuracy of our answer?")),
                   "double_barrelled")
    assert ("“How would you rate the speed of our answer?” and “How would you rate the accuracy of our answer?”"
            in item.suggestion)  # "the" is kept once, before each word


def test_a_list_of_three_things_gets_no_split_and_says_why() -> None:
    [item] = found(survey_of(rating("How fast, clear and friendly was the agent?")), "double_barrelled")
    assert "no split is offered: it joins more than two things" in item.suggestion
    assert "“How fast, clear was the agent?”" not in item.suggestion  # the broken split of before


def test_a_double_barrelled_promise_gets_the_two_promises() -> None:
    survey = survey_of({"id": "q_align", "type": "alignment", "text": "How well did we keep each promise?"},
                       brand_promises=[{"id": "fast", "label": "We are fast and friendly"}])
    [item] = found(survey, "double_barrelled")
    assert "“We are fast” and “We are friendly”" in item.suggestion


# --- leading_wording ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rewrite"), [
    ("How much did you enjoy your stay?", "How would you rate your stay?"),
    ("How great was our support?", "How would you rate our support?"),
    ("How would you rate our award-winning support?", "How would you rate our support?"),
    ("How would you rate Acme's world-class support?", "How would you rate Acme's support?"),
    # a list of praise is removed whole (it used to leave "…from our and knowledgeable team?")
    ("How would you rate the help from our helpful and knowledgeable team?",
     "How would you rate the help from our team?"),
    ("How would you rate our fast, friendly staff?", "How would you rate our staff?"),  # comma-joined
    ("How would you rate our courteous staff?", "How would you rate our staff?"),  # a single adjective
    ("How would you rate our fast, friendly, and courteous team?", "How would you rate our team?"),
    ("How would you rate our friendly staff and our prices?", "How would you rate our staff and our prices?"),
])
def test_leading_wording_gets_a_neutral_rewrite(text: str, rewrite: str) -> None:
    [item] = found(survey_of(rating(text)), "leading_wording")
    assert item.severity == "warning" and item.path == "sections[0].questions[0].text"
    assert f"“{rewrite}”" in item.suggestion


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_dont_you_agree_is_leading_and_the_claim_becomes_a_statement(apostrophe: str) -> None:
    survey = survey_of({"id": "q", "type": "single_choice", "text": f"Don{apostrophe}t you agree that ordering was easy?",
                        "choices": [{"code": "y", "label": "Yes"}, {"code": "n", "label": "No"}]})
    [item] = found(survey, "leading_wording")
    assert "“Ordering was easy.”" in item.suggestion


@pytest.mark.parametrize("question", [
    rating("How easy was it to get your issue resolved?"),
    rating("How satisfied or dissatisfied are you with your stay?"),
    rating("How would you rate our support?"),
    {"id": "q", "type": "ces", "text": "The company made it easy to handle my issue."},
    {"id": "q", "type": "likert", "text": "Do you agree that the bill was clear?"},  # asks, does not push
    rating("How would you rate our fast delivery?"),  # a quality word alone names an option, not praise
    rating("How would you rate the speed of our staff?"),
    rating("How would you rate our service and our staff?"),
])
def test_neutral_wording_is_not_leading(question: dict[str, Any]) -> None:
    assert found(survey_of(question), "leading_wording") == []


def test_the_praise_finding_quotes_the_whole_phrase() -> None:
    [item] = found(survey_of(rating("How would you rate our fast, friendly staff?")), "leading_wording")
    assert "“our fast, friendly” praises the company inside the question" in item.message


# --- question_on_agreement_scale -------------------------------------------------------------------------------

def test_a_question_on_an_agreement_scale_is_flagged_with_a_statement() -> None:
    [item] = found(survey_of({"id": "q", "type": "likert", "text": "How easy was it to reach us?"}),
                   "question_on_agreement_scale")
    assert (item.severity, item.path, item.question_id) == ("warning", "sections[0].questions[0].text", "q")
    assert "“It was easy to reach us.”" in item.suggestion  # worked out by hand from "How easy was it to …?"
    # a yes/no question has a code of its own (yes_no_on_agreement_scale, test_lint_clarity.py)
    [item] = found(survey_of({"id": "q", "type": "ces", "text": "What made it easy to handle your issue?"}),
                   "question_on_agreement_scale")
    assert "statement" in item.suggestion


@pytest.mark.parametrize("question", [
    {"id": "q", "type": "likert", "text": "It was easy to reach us."},  # a statement on the agreement scale
    rating("How easy was it to reach us?"),  # the same question on a rating scale
    {"id": "q", "type": "alignment", "text": "How well did your experience match each of these?"},  # a grid's stem
])
def test_a_statement_or_a_rating_is_not_a_question_on_an_agreement_scale(question: dict[str, Any]) -> None:
    assert found(survey_of(question), "question_on_agreement_scale") == []


# --- double_negative and negated_statement --------------------------------------------------------------------

def test_not_unlikely_is_a_double_negative_with_a_positive_rewrite() -> None:
    survey = survey_of(rating("How would you rate it, if renewing is not unlikely for you?"))
    [item] = found(survey, "double_negative")
    assert item.severity == "warning" and "“likely”" in item.suggestion


def test_cannot_disagree_with_a_typographic_apostrophe_elsewhere_is_a_double_negative() -> None:
    survey = survey_of(rating("If you cannot disagree with today’s prices, how would you rate them?"))
    [item] = found(survey, "double_negative")
    assert "“agree”" in item.suggestion


def test_dont_disagree_with_words_between_is_a_double_negative() -> None:
    survey = survey_of({"id": "q", "type": "single_choice", "text": "Do you not really disagree with our new prices?",
                        "choices": [{"code": "y", "label": "Yes"}, {"code": "n", "label": "No"}]})
    [item] = found(survey, "double_negative")
    assert "“agree”" in item.suggestion


@pytest.mark.parametrize("text", [
    "How likely are you to renew?",
    "Did you not understand your bill?",  # "understand" starts with "un" but negates nothing
    "Was anything unexpected on your bill?",  # a negative word without a negation
    "Could you not find the unsubscribe link?",
])
def test_a_single_negation_is_not_a_double_negative(text: str) -> None:
    survey = survey_of({"id": "q", "type": "single_choice", "text": text,
                        "choices": [{"code": "y", "label": "Yes"}, {"code": "n", "label": "No"}]})
    assert found(survey, "double_negative") == []


def test_a_negative_agreement_statement_is_noted_at_info_level() -> None:
    [item] = found(survey_of({"id": "q", "type": "likert", "text": "I did not have to repeat myself."}),
                   "negated_statement")
    assert item.severity == "info"
    assert found(survey_of({"id": "q", "type": "likert", "text": "I only had to explain my issue once."}),
                 "negated_statement") == []


# --- jargon -----------------------------------------------------------------------------------------------------

def test_internal_acronyms_and_words_are_jargon() -> None:
    [item] = found(survey_of(rating("Was your ticket resolved within the SLA?")), "jargon")
    assert item.severity == "warning" and item.path == "sections[0].questions[0].text"
    assert "“ticket”" in item.message and "“SLA”" in item.message


def test_jargon_is_found_wherever_respondents_read() -> None:
    survey = survey_of(
        {"id": "q", "type": "single_choice", "text": "How did you get in touch?",
         "choices": [{"code": "ivr", "label": "The IVR"}, {"code": "web", "label": "Our website"}]},
        touchpoints=[{"id": "esc", "label": "Escalation tier 2"}],
    )
    paths = {item.path for item in found(survey, "jargon")}
    assert paths == {"touchpoints[0].label", "sections[0].questions[0].choices[0].label"}


@pytest.mark.parametrize("text", [
    "Was your request sorted out as quickly as we promised?",
    "How would you rate the slant of our new roof?",  # "sla" inside a word, and lower case
    "How easy was it to reach a specialist?",
])
def test_plain_language_is_not_jargon(text: str) -> None:
    assert found(survey_of(rating(text)), "jargon") == []


# --- long_question ----------------------------------------------------------------------------------------------

def test_a_question_over_25_words_is_long() -> None:
    long_text = "Thinking " + "about " * 24 + "today?"  # 26 words
    just_right = "Thinking " + "about " * 23 + "today?"  # 25 words
    [item] = found(survey_of(rating(long_text)), "long_question")
    assert "26 words" in item.message
    assert found(survey_of(rating(just_right)), "long_question") == []


# --- scales -----------------------------------------------------------------------------------------------------

def test_a_rating_without_end_labels_is_unlabelled() -> None:
    survey = survey_of({"id": "q", "type": "rating", "text": "How would you rate your visit?"})
    [item] = found(survey, "unlabelled_scale")
    assert (item.severity, item.path, item.question_id) == ("warning", "sections[0].questions[0].scale", "q")
    assert found(survey_of(rating("How would you rate your visit?")), "unlabelled_scale") == []


def test_a_choice_list_with_no_negative_side_is_unbalanced() -> None:
    labels = ["Excellent", "Very good", "Good", "Fair"]
    survey = survey_of({"id": "q", "type": "single_choice", "text": "How would you rate your visit?",
                        "choices": [{"code": f"c{i}", "label": label} for i, label in enumerate(labels)]})
    [item] = found(survey, "unbalanced_scale")
    assert item.path == "sections[0].questions[0].choices"
    assert "3 positive" in item.message and "0 negative" in item.message  # Excellent, Very good, Good; Fair neutral


def choice_survey(labels: list[str]) -> Survey:
    return survey_of({"id": "q", "type": "single_choice", "text": "How would you rate your visit?",
                      "choices": [{"code": f"c{i}", "label": label} for i, label in enumerate(labels)]})


def test_a_balanced_list_with_a_midpoint_passes() -> None:
    survey = choice_survey(["Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know"])
    assert [item for item in lint_survey(survey) if item.code in ("unbalanced_scale", "no_midpoint")] == []


@pytest.mark.parametrize("labels", [
    ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
    ["Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely", "Very likely"],
    ["Very difficult", "Difficult", "Neither easy nor difficult", "Easy", "Very easy"],
    ["Not at all satisfied", "Somewhat dissatisfied", "Neither", "Somewhat satisfied", "Very satisfied",
     "Not applicable"],  # "not at all satisfied" is negative; "not applicable" is left out
])
def test_standard_balanced_lists_pass(labels: list[str]) -> None:
    assert [item for item in lint_survey(choice_survey(labels))
            if item.code in ("unbalanced_scale", "no_midpoint")] == []


def test_an_even_agreement_list_is_fine_but_noted() -> None:
    survey = choice_survey(["Strongly disagree", "Disagree", "Agree", "Strongly agree"])
    assert found(survey, "unbalanced_scale") == []
    [item] = found(survey, "no_midpoint")
    assert item.severity == "info"


def test_a_list_that_is_not_a_scale_is_left_alone() -> None:
    survey = choice_survey(["Phone", "Email", "Chat", "In a shop"])
    assert [item for item in lint_survey(survey) if item.code in ("unbalanced_scale", "no_midpoint")] == []


def test_rating_ends_on_the_same_side_are_unbalanced() -> None:
    one_sided = rating("How would you rate your visit?") | {
        "scale": {"min": 1, "max": 5, "min_label": "Good", "max_label": "Excellent"}}
    [item] = found(survey_of(one_sided), "unbalanced_scale")
    assert item.path == "sections[0].questions[0].scale"
    assert found(survey_of(rating("How would you rate your visit?")), "unbalanced_scale") == []


def test_an_even_rating_scale_is_noted_and_an_odd_one_is_not() -> None:
    even = rating("How would you rate your visit?") | {"scale": LABELLED | {"max": 4}}
    assert [item.severity for item in found(survey_of(even), "no_midpoint")] == ["info"]
    assert found(survey_of(rating("How would you rate your visit?")), "no_midpoint") == []


def test_two_choices_with_one_label_are_an_error() -> None:
    survey = choice_survey(["Phone", "Email", "phone "])
    [item] = found(survey, "duplicate_choice_label")
    assert (item.severity, item.path) == ("error", "sections[0].questions[0].choices[2].label")
    assert found(choice_survey(["Phone", "Email", "Phone call back"]), "duplicate_choice_label") == []


# --- the Finding record -----------------------------------------------------------------------------------------

def test_finding_is_frozen_and_serialises_its_seven_fields() -> None:
    item = Finding("jargon", "warning", "title", None, "m", "s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.code = "other"  # type: ignore[misc]
    assert item.to_dict() == {"code": "jargon", "severity": "warning", "path": "title", "question_id": None,
                              "message": "m", "suggestion": "s", "rewrites": []}
    assert Finding("x", "info", "p", "q", "m", "s", ("a", "b")).to_dict()["rewrites"] == ["a", "b"]


def test_every_code_has_a_severity_of_the_three() -> None:
    assert set(CODES.values()) <= {"error", "warning", "info"}


def test_a_brand_promise_joining_two_things_is_double_barrelled() -> None:
    align = {"id": "q_align", "type": "alignment", "text": "How well did we keep each of these promises?"}
    survey = survey_of(align, brand_promises=[{"id": "easy", "label": "We make things easy"},
                                              {"id": "ff", "label": "We are fast and friendly"}])
    [item] = found(survey, "double_barrelled")
    assert (item.path, item.question_id) == ("brand_promises[1].label", "q_align")
    assert "“fast”" in item.suggestion and "“friendly”" in item.suggestion
    survey = survey_of(rating("How would you rate your visit?"),
                       brand_promises=[{"id": "ff", "label": "We are fast and friendly"}])
    assert found(survey, "double_barrelled") == []  # no alignment grid rates the promises


def test_findings_group_by_question_with_survey_level_under_none() -> None:
    survey = survey_of(rating("How great was your SLA?", "q_a"), rating("How would you rate your visit?", "q_b"),
                       customer_id_param=None)
    grouped = findings_by_question(lint_survey(survey))
    assert {item.code for item in grouped["q_a"]} >= {"leading_wording", "jargon"}
    assert "q_b" not in grouped or all(item.question_id == "q_b" for item in grouped["q_b"])
    assert "no_customer_link" in {item.code for item in grouped[None]}
