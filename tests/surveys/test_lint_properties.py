"""Properties of the linter over generated surveys: it never fails on a valid definition, every finding points
at a place that exists in the definition, and a few relations that must hold whatever the survey says."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import build_survey
from surveys.lint import CODES, estimate_completion_seconds, lint_survey, render_json
from surveys.model import Survey

# words chosen to reach the checks: conjunctions, negations, praise, jargon, scale words
VOCABULARY = ["how", "and", "not", "unlikely", "disagree", "great", "ticket", "SLA", "our", "easy", "fast",
              "friendly", "the", "between", "was", "it", "to", "you", "satisfied", "Marks", "Spencer", "don't",
              "agree", "award-winning", "support", "good", "poor", "Excellent", "Fair", "neither", "much", "enjoy"]
LABELS = ["Excellent", "Very good", "Good", "Fair", "Poor", "Very poor", "Phone", "Email", "Neither good nor poor",
          "Don't know", "Agree", "Disagree"]
SCALE_TYPES = ["rating", "likert", "csat", "ces", "nps", "alignment", "channel_rating", "friction"]
PLAIN_TYPES = ["text", "number", "single_choice", "multi_choice"]

sentence = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=30).map(lambda ws: " ".join(ws) + "?")


@st.composite
def surveys(draw: st.DrawFn) -> Survey:
    sections: list[dict[str, Any]] = []
    earlier: list[dict[str, Any]] = []
    for s in range(draw(st.integers(1, 3))):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(SCALE_TYPES + PLAIN_TYPES))
            question: dict[str, Any] = {"id": f"q{len(earlier)}", "type": kind, "text": draw(sentence)}
            if kind in ("single_choice", "multi_choice"):
                labels = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=6))
                question["choices"] = [{"code": f"c{i}", "label": label} for i, label in enumerate(labels)]
            if kind == "rating" and draw(st.booleans()):
                question["scale"] = {"min": 1, "max": draw(st.integers(2, 10)),
                                     "min_label": draw(st.sampled_from(LABELS)),
                                     "max_label": draw(st.sampled_from(LABELS))}
            scaled = [q for q in earlier if q["type"] in ("rating", "likert", "csat", "ces", "nps")]
            if scaled and draw(st.booleans()):
                ref = draw(st.sampled_from(scaled))
                question["show_if"] = f"{ref['id']} {draw(st.sampled_from(['<=', '>', '==']))} {draw(st.integers(-1, 12))}"
            questions.append(question)
            earlier.append(question)
        sections.append({"id": f"p{s}", "title": draw(sentence), "questions": questions})
    return build_survey({
        "id": "generated", "title": draw(sentence),
        "customer_id_param": draw(st.sampled_from([None, "cid"])),
        "time_budget_minutes": draw(st.sampled_from([0.5, 2, 8])),
        "brand_promises": [{"id": "b0", "label": draw(sentence)}],
        "touchpoints": [{"id": "t0", "label": "Ordering"}],
        "channels": [{"id": "phone", "label": "Phone"}, {"id": "email", "label": "Email"}],
        "sections": sections,
    })


def resolve(data: Any, path: str) -> Any:
    """The value at a definition path such as `sections[1].questions[0].scale.labels[2]`; KeyError if absent."""
    for name, index in re.findall(r"([A-Za-z_]+)(?:\[(\d+)\])?", path):
        data = data[name]
        if index:
            data = data[int(index)]
    return data


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(surveys())
def test_every_finding_points_at_an_existing_place(survey: Survey) -> None:
    data = survey.model_dump(mode="json")
    for item in lint_survey(survey):
        assert item.severity == CODES[item.code]
        resolve(data, item.path)  # raises KeyError/IndexError when the path names nothing
        question = re.match(r"sections\[(\d+)\]\.questions\[(\d+)\]", item.path)
        if question:
            assert item.question_id == survey.sections[int(question[1])].questions[int(question[2])].id


@FAST
@given(surveys())
def test_json_output_carries_exactly_the_findings(survey: Survey) -> None:
    findings = lint_survey(survey)
    document = json.loads(render_json(findings, source="x.yaml"))
    assert document["findings"] == [item.to_dict() for item in findings]
    assert document["summary"]["errors"] == sum(item.severity == "error" for item in findings)


def with_closing_question(survey: Survey) -> Survey:
    data = survey.model_dump(mode="json", exclude_none=True)
    data["sections"].append({"id": "closing", "title": "Finally", "questions": [
        {"id": "q_closing", "type": "text", "text": "Is there anything else you would like to tell us?"}]})
    return build_survey(data)


@FAST
@given(surveys())
def test_a_closing_open_question_for_everyone_follows_up_every_score(survey: Survey) -> None:
    closed = with_closing_question(survey)
    assert [item for item in lint_survey(closed) if item.code == "no_low_score_follow_up"] == []
    # and it adds to the estimated time: 10 words at 220 wpm + 30 s answering + 3 s for the new page
    added = estimate_completion_seconds(closed) - estimate_completion_seconds(survey)
    assert abs(added - (1 + 10) * 60 / 220 - 33) < 1e-9  # "Finally" is the page title's one word
