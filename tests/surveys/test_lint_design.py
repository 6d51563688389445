"""The linter's survey-level, show_if and timing checks, the bundled templates, and docs/linter.md.

Expected values are worked out by hand from the definitions and the documented timing model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surveys import build_survey
from surveys.library import load_template, template_names
from surveys.lint import CODES, Finding, estimate_completion_seconds, estimate_question_times, lint_survey
from surveys.model import Survey

DOCS = Path(__file__).resolve().parents[2] / "docs" / "linter.md"
YES_NO = [{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}]
CES = {"id": "q_ces", "type": "ces", "text": "Acme made it easy to get what I needed."}


def survey_of(*pages: list[dict[str, Any]], **fields: Any) -> Survey:
    """A survey with one section per list of questions; linkable unless the test says otherwise."""
    data: dict[str, Any] = {
        "id": "t", "title": "T", "customer_id_param": "cid",
        "brand_promises": [{"id": "easy", "label": "We make things easy"},
                           {"id": "partner", "label": "We treat you as a partner"}],
        "channels": [{"id": "phone", "label": "Phone"}, {"id": "email", "label": "Email"}],
        "sections": [{"id": f"p{index}", "title": "S", "questions": questions} for index, questions in enumerate(pages)],
    }
    data.update(fields)
    return build_survey(data)


def found(survey: Survey, code: str) -> list[Finding]:
    return [item for item in lint_survey(survey) if item.code == code]


def text(question_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": question_id, "type": "text", "text": "What could we have done better?", **extra}


# --- outcome measures ---------------------------------------------------------------------------------------

def test_nps_as_the_only_outcome_is_an_error_at_the_nps_question() -> None:
    survey = survey_of([text("q_other"), {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us?"}])
    [item] = found(survey, "nps_only_outcome")
    assert (item.severity, item.path, item.question_id) == ("error", "sections[0].questions[1]", "q_nps")


@pytest.mark.parametrize("other", [
    CES,
    {"id": "q_ch", "type": "channel_rating", "text": "How was each way you contacted us?"},
    {"id": "q_l", "type": "likert", "text": "The bill was clear."},
])
def test_nps_beside_an_experience_measure_is_fine(other: dict[str, Any]) -> None:
    survey = survey_of([other, {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us?"}])
    assert found(survey, "nps_only_outcome") == []


def test_a_survey_with_no_number_at_all_has_no_outcome_measure() -> None:
    survey = survey_of([{"id": "q_c", "type": "single_choice", "text": "Did you visit us?", "choices": YES_NO},
                        text("q_t")])
    [item] = found(survey, "no_outcome_measure")
    assert item.severity == "warning" and item.question_id is None
    assert found(survey_of([CES, text("q_t")]), "no_outcome_measure") == []


# --- linking answers to customers -----------------------------------------------------------------------------

def test_without_a_customer_id_param_only_personal_links_are_linkable() -> None:
    survey = survey_of([CES, text("q_t")], customer_id_param=None)
    [item] = found(survey, "no_customer_link")
    assert (item.severity, item.path) == ("warning", "customer_id_param")
    assert "only personal links will be linkable" in item.message
    assert found(survey_of([CES, text("q_t")]), "no_customer_link") == []


# --- open follow-up after a low score -------------------------------------------------------------------------

def test_a_scale_question_with_no_open_question_after_it_has_no_follow_up() -> None:
    [item] = found(survey_of([CES]), "no_low_score_follow_up")
    assert (item.severity, item.path, item.question_id) == ("warning", "sections[0].questions[0]", "q_ces")
    assert 'show_if: "q_ces <= 4"' in item.suggestion  # midpoint of the 1–7 effort scale


@pytest.mark.parametrize("follow_up", [
    text("q_why", show_if="q_ces <= 4"),  # shown on a low score
    text("q_why", show_if="q_ces < 3 or q_ces > 6"),  # low scores included
    text("q_why"),  # asked of everyone
])
def test_an_open_question_on_a_later_page_after_a_low_score_is_a_follow_up(follow_up: dict[str, Any]) -> None:
    assert found(survey_of([CES], [follow_up]), "no_low_score_follow_up") == []


@pytest.mark.parametrize("not_a_follow_up", [
    text("q_why", show_if="q_ces >= 6"),  # only after a high score
    text("q_why", show_if='q_visit == "yes"'),  # about another question
    {"id": "q_more", "type": "single_choice", "text": "Would you like a call back?", "choices": YES_NO},
])
def test_other_later_questions_are_not_a_follow_up(not_a_follow_up: dict[str, Any]) -> None:
    visit = {"id": "q_visit", "type": "single_choice", "text": "Did you visit us?", "choices": YES_NO}
    survey = survey_of([visit, CES], [not_a_follow_up])
    assert [item.question_id for item in found(survey, "no_low_score_follow_up")] == ["q_ces"]


def test_an_open_question_earlier_on_the_same_page_counts_but_one_on_an_earlier_page_does_not() -> None:
    assert found(survey_of([text("q_t"), CES]), "no_low_score_follow_up") == []
    assert [item.question_id for item in found(survey_of([text("q_t")], [CES]), "no_low_score_follow_up")] == [
        "q_ces"]


def test_a_grid_is_followed_up_by_a_condition_on_one_of_its_rows() -> None:
    grid = {"id": "q_align", "type": "alignment", "text": "How well did we keep each promise?"}
    assert found(survey_of([grid], [text("q_why", show_if="q_align.easy <= 2")]), "no_low_score_follow_up") == []
    assert len(found(survey_of([grid]), "no_low_score_follow_up")) == 1


def test_baselines_need_no_follow_up_of_their_own_beside_other_measures() -> None:
    nps = {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us?"}
    survey = survey_of([CES], [text("q_why", show_if="q_ces <= 4")], [nps])
    assert found(survey, "no_low_score_follow_up") == []
    csat = {"id": "q_csat", "type": "csat", "text": "How satisfied or dissatisfied are you with us?"}
    assert [item.question_id for item in found(survey_of([csat]), "no_low_score_follow_up")] == ["q_csat"]


# --- show_if ------------------------------------------------------------------------------------------------

def test_a_condition_on_a_question_of_the_same_page_is_a_warning() -> None:
    survey = survey_of([CES, text("q_why", show_if="q_ces <= 4")])
    [item] = found(survey, "same_page_condition")
    assert (item.severity, item.path, item.question_id) == ("warning", "sections[0].questions[1].show_if", "q_why")
    assert found(survey_of([CES], [text("q_why", show_if="q_ces <= 4")]), "same_page_condition") == []


@pytest.mark.parametrize(("condition", "never"), [
    ("q_ces > 7", True),  # the effort scale ends at 7
    ("q_ces >= 7", False),
    ('q_visit == "maybe"', True),  # not one of the codes
    ('q_visit == "no"', False),
    ('q_visit in ["perhaps", "unsure"]', True),
    ("not answered(q_ces)", False),  # true for whoever skipped it
    ("q_align.easy > 5", True),  # a 5-point agreement grid
    ("q_align.easy <= 2 and q_ces >= 6", False),
    ("q_used.phone == 1", False),  # a multi-choice code reads 1/0, as in its export column
    ("q_used.phone == 2", True),
    ("q_f.ordering == 1", False),  # a friction row reads 1 when the respondent hesitated
])
def test_a_condition_no_answer_can_satisfy_is_never_shown(condition: str, never: bool) -> None:
    visit = {"id": "q_visit", "type": "single_choice", "text": "Did you visit us?", "choices": YES_NO}
    grid = {"id": "q_align", "type": "alignment", "text": "How well did we keep each promise?"}
    used = {"id": "q_used", "type": "multi_choice", "text": "Which of these did you use?",
            "choices": [{"code": "phone", "label": "Phone"}, {"code": "email", "label": "Email"}]}
    friction = {"id": "q_f", "type": "friction", "text": "Did anything make you hesitate?"}
    survey = survey_of([visit, CES, grid, used, friction], [text("q_why", show_if=condition)],
                       touchpoints=[{"id": "ordering", "label": "Ordering"}])
    items = found(survey, "never_shown")
    assert len(items) == int(never)
    if never:
        assert (items[0].severity, items[0].path) == ("error", "sections[1].questions[0].show_if")


# --- size -------------------------------------------------------------------------------------------------------

def choices(count: int) -> list[dict[str, Any]]:
    return [{"id": f"q{index}", "type": "single_choice", "text": "Did you visit us?", "choices": YES_NO}
            for index in range(count)]


def test_more_than_25_questions_are_too_many() -> None:
    [item] = found(survey_of(choices(26)), "too_many_questions")
    assert "26 questions" in item.message
    assert found(survey_of(choices(25)), "too_many_questions") == []


def test_a_grid_of_more_than_ten_rows_is_long() -> None:
    def friction_survey(rows: int) -> Survey:
        touchpoints = [{"id": f"t{index}", "label": f"Step {index}"} for index in range(rows)]
        return survey_of([{"id": "q_f", "type": "friction", "text": "Did anything make you hesitate?"}],
                         touchpoints=touchpoints)

    [item] = found(friction_survey(11), "long_grid")
    assert (item.path, item.question_id) == ("sections[0].questions[0]", "q_f")
    assert found(friction_survey(10), "long_grid") == []


def test_a_required_open_question_is_noted() -> None:
    [item] = found(survey_of([CES], [text("q_t", required=True)]), "required_open_question")
    assert (item.severity, item.path) == ("info", "sections[1].questions[0].required")
    assert found(survey_of([CES], [text("q_t")]), "required_open_question") == []


# --- completion time --------------------------------------------------------------------------------------------

def test_completion_time_is_reading_plus_answering_plus_pages() -> None:
    survey = survey_of([text("q_t")])
    # words: title "T" 1 + page title "S" 1 + "What could we have done better?" 6 = 8 at 220 wpm;
    # a multi-line open answer 30 s; one page 3 s
    assert estimate_completion_seconds(survey) == pytest.approx(8 * 60 / 220 + 30 + 3)


def test_grids_count_per_row() -> None:
    grid = {"id": "q_align", "type": "alignment", "text": "How well did we keep each promise?"}
    two_rows = estimate_question_times(survey_of([grid]))[0]
    # words: text 7 + agreement labels 2+1+4+1+2 = 10 + rows "We make things easy" 4 + "We treat you as a partner" 6
    assert two_rows.reading_words == 27 and two_rows.answering_seconds == 10  # 5 s per row
    promises = [{"id": "easy", "label": "We make things easy"}, {"id": "partner", "label": "We treat you as a partner"},
                {"id": "word", "label": "We keep our word"}]
    three_rows = estimate_question_times(survey_of([grid], brand_promises=promises))[0]
    assert three_rows.seconds - two_rows.seconds == pytest.approx(5 + 4 * 60 / 220)


def test_over_the_time_budget_is_a_warning() -> None:
    seconds = 8 * 60 / 220 + 30 + 3  # as above: about 35.2 s
    [item] = found(survey_of([text("q_t")], time_budget_minutes=0.5), "over_time_budget")
    assert (item.severity, item.path) == ("warning", "time_budget_minutes")
    assert f"{seconds / 60:.1f} min" in item.message and "q_t" in item.message
    assert found(survey_of([text("q_t")], time_budget_minutes=0.6), "over_time_budget") == []


# --- order, templates, documentation ------------------------------------------------------------------------------

def test_survey_level_findings_come_first_then_question_order() -> None:
    survey = survey_of([{"id": "q_r", "type": "rating", "text": "How great was your visit?"}],
                       [{"id": "q_late", "type": "rating", "text": "How would you rate our SLA?"}], customer_id_param=None)
    paths = [item.path for item in lint_survey(survey)]
    assert paths[0] == "customer_id_param"
    assert paths.index("sections[0].questions[0].text") < paths.index("sections[1].questions[0].text")


@pytest.mark.parametrize("name", template_names())
def test_bundled_templates_lint_clean(name: str) -> None:
    problems = [item for item in lint_survey(load_template(name)) if item.severity != "info"]
    assert problems == []


def test_bundled_templates_exist() -> None:
    assert len(template_names()) >= 3


def test_docs_describe_every_code() -> None:
    documented = DOCS.read_text(encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in documented]
    assert missing == []
