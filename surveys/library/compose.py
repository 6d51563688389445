"""How the bundled templates are built from the question bank, and the maintainer command that writes them.

The files in `templates/` are generated from the recipes below, so every template question is a bank
question (same wording, scale and rationale), with only its id, `required`, `show_if` and channel source set
for the template. After changing the bank or a recipe, run::

    python -m surveys.library.compose          # rewrites templates/*.yaml and docs/library.md

A test fails when the files and the recipes disagree.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from ..definition import build_survey, to_yaml
from ..model import Survey
from ..questions import Question, type_tag
from . import build_question

_QUESTION = TypeAdapter(Question)

# Placeholders a CX lead replaces with the company's own promises, journey steps and channels.
PROMISES = [
    {"id": "easy", "label": "We make things easy"},
    {"id": "word", "label": "We keep our word"},
    {"id": "partner", "label": "We treat you as a partner"},
]
CHANNELS = [  # the channel questions' choices are generated from these (`with_channel_choices`)
    {"id": "phone", "label": "Phone"},
    {"id": "email", "label": "Email"},
    {"id": "chat", "label": "Online chat"},
    {"id": "web", "label": "Website or app"},
    {"id": "in_person", "label": "In person"},
]

HEADER = """\
# cxroi template "{name}", generated from the question bank by `python -m surveys.library.compose`.
# To use it, copy this file and edit the copy: the brand promises, touchpoints and channels are placeholders
# for your own, and "we"/"us" should become your company's voice. Each question's `rationale` says why it is
# asked; it is shown to CX leads, never to respondents.
"""


def _ask(key: str, **settings: Any) -> dict[str, Any]:
    """A bank question as plain data, with template settings (id, required, show_if, text …) applied."""
    question = build_question(key, question_id=settings.pop("id", None))
    checked = _QUESTION.validate_python(question.model_dump() | settings)
    return {"id": checked.id, "type": type_tag(type(checked))} | checked.model_dump(mode="json", exclude_defaults=True)


def _section(section_id: str, title: str, questions: list[dict[str, Any]], intro: str | None = None) -> dict[str, Any]:
    return {"id": section_id, "title": title} | ({"intro": intro} if intro else {}) | {"questions": questions}


def relationship() -> dict[str, Any]:
    """The yearly relationship survey: promises, effort, friction, channels and the moments that matter."""
    return {
        "id": "relationship",
        "title": "How are we doing?",
        "intro": "About five minutes on your experience with us over the past 12 months. Your answers are "
                 "linked to your account so that we can act on them.",
        "customer_id_param": "cid",
        "time_budget_minutes": 8,
        "brand_promises": PROMISES,
        "touchpoints": [
            {"id": "finding_out", "label": "Finding out about our products"},
            {"id": "ordering", "label": "Ordering"},
            {"id": "delivery", "label": "Delivery"},
            {"id": "billing", "label": "Billing and payment"},
            {"id": "getting_help", "label": "Getting help"},
        ],
        "channels": CHANNELS,
        "sections": [
            _section("promises", "What we promise", [
                _ask("brand_alignment", required=True),
                _ask("ces", required=True),
            ]),
            _section("journey", "Along the way", [
                _ask("effort_follow_up", show_if="q_ces <= 4"),
                _ask("touchpoint_friction"),
                _ask("channels_used"),
            ]),
            _section("channels", "How you contact us", [
                _ask("channel_experience", used_channels_from="q_channels"),
                _ask("channel_consistency"),
            ]),
            _section("moments", "When it mattered", [
                _ask("urgent_reach"),
                _ask("reach_human"),
                _ask("continuity"),
                _ask("valued"),
            ]),
            _section("finally", "Finally", [
                _ask("nps"),
                _ask("one_change"),  # last and for everyone: it also asks why after a low baseline score
            ]),
        ],
    }


def post_support() -> dict[str, Any]:
    """The short survey sent after a contact: need met, effort, repeat contacts, continuity, friction."""
    return {
        "id": "post_support",
        "title": "Your recent contact with us",
        "intro": "About three minutes on the time you recently got in touch with us.",
        "customer_id_param": "cid",
        "time_budget_minutes": 4,
        "touchpoints": [
            {"id": "finding_contact", "label": "Finding how to contact us"},
            {"id": "waiting", "label": "Waiting to reach someone"},
            {"id": "explaining", "label": "Explaining what you needed"},
            {"id": "answer", "label": "Getting an answer"},
        ],
        "sections": [
            _section("contact", "Your recent contact", [
                _ask("resolved", required=True),
                _ask("ces_contact", required=True),
                _ask("contacts_needed"),
            ]),
            _section("details", "A little more", [
                _ask("effort_follow_up", show_if="q_ces_contact <= 4"),
                _ask("continuity", show_if='q_contacts_needed in ["twice", "three_or_more"]'),
                _ask("touchpoint_friction"),
            ]),
            _section("finally", "Finally", [
                _ask("csat_contact"),
                _ask("nps"),
                _ask("one_change"),
            ]),
        ],
    }


_AUDITED_STEPS = [
    {"id": "finding_info", "label": "Finding information"},
    {"id": "first_contact", "label": "Making first contact"},
    {"id": "advice", "label": "Getting advice or an answer"},
    {"id": "buying", "label": "Buying or changing something"},
    {"id": "follow_up", "label": "Follow-up afterwards"},
]


def mystery_shop() -> dict[str, Any]:
    """The evaluator's audit form: per touchpoint, anything unexpected (good or bad) and what happened."""
    return {
        "id": "mystery_shop",
        "title": "Mystery shop audit",
        "intro": "For internal evaluators. Play out the scenario you were given as a customer would, then "
                 "record at every step anything unexpected, good or bad. The link carries the visit reference.",
        "customer_id_param": "visit",
        "time_budget_minutes": 15,
        "brand_promises": PROMISES,
        "touchpoints": _AUDITED_STEPS,
        "channels": CHANNELS,
        "sections": [
            _section("visit", "This visit", [
                _ask("audit_scenario", required=True),
                _ask("audit_channels", required=True),
            ]),
            _section("steps", "Anything unexpected?", [
                _ask("audit_unexpected", id=f"q_unexpected_{step['id']}", required=True,
                     text=f"{step['label']}: was anything unexpected?")
                for step in _AUDITED_STEPS
            ]),
            _section("what_happened", "What happened", [
                _ask("audit_note", id=f"q_unexpected_note_{step['id']}",
                     text=f"{step['label']}: what happened that you did not expect?",
                     show_if=f'q_unexpected_{step["id"]} in ["good", "bad"]')
                for step in _AUDITED_STEPS
            ], intro="Only the steps where something was unexpected are listed."),
            _section("overall", "Overall", [
                _ask("ces", required=True),
                _ask("brand_alignment", required=True),
                _ask("touchpoint_friction"),
            ]),
            _section("contact", "Ways of getting in touch", [
                _ask("channel_experience", used_channels_from="q_channels_tried"),
                _ask("channel_consistency"),
                _ask("effort_follow_up", show_if="q_ces <= 4"),
                _ask("one_change"),
            ]),
        ],
    }


RECIPES: dict[str, Callable[[], dict[str, Any]]] = {
    "mystery_shop": mystery_shop,
    "post_support": post_support,
    "relationship": relationship,
}
"""Every bundled template's recipe by template name."""


def with_channel_choices(data: dict[str, Any]) -> dict[str, Any]:
    """The definition with the choices of every question that picks a channel grid's rows (the question a grid's
    `row_dependencies` names, e.g. "Channels used") generated from the survey's channels: one choice per channel,
    code = channel id, label = channel label. The bank's own choices are placeholders for the default channels;
    a survey with other channels would otherwise offer channels it does not have (or miss its own)."""
    channels = data.get("channels") or []
    if not channels:
        return data
    questions = [question for section in data["sections"] for question in section["questions"]]
    sources: set[str] = set()
    for question in questions:
        checked = _QUESTION.validate_python(question)
        if checked.row_source == "channels":
            sources |= checked.row_dependencies()
    choices = [{"code": channel["id"], "label": channel["label"]} for channel in channels]
    fitted = []
    for section in data["sections"]:
        fitted.append(section | {"questions": [
            question | {"choices": [dict(choice) for choice in choices]}
            if question["id"] in sources and _QUESTION.validate_python(question).own_choices() else question
            for question in section["questions"]]})
    return data | {"sections": fitted}


def compose_template(name: str, *, channels: list[dict[str, str]] | None = None) -> Survey:
    """The template built from its recipe, checked like any definition; `channels` (id and label each) replaces
    the placeholder channels, and the questions asking which channels were used offer exactly those."""
    data = RECIPES[name]()
    if channels is not None:
        data["channels"] = channels
    return build_survey(with_channel_choices(data), source=f"recipe {name!r}")


def render_template_yaml(name: str) -> str:
    """The text of `templates/<name>.yaml`: a header comment, then the definition."""
    return HEADER.format(name=name) + to_yaml(compose_template(name))


def main(argv: list[str] | None = None) -> None:
    """Rewrite the bundled template files and the library documentation."""
    from .docs import render_library_markdown

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--docs", type=Path, default=Path(__file__).resolve().parents[2] / "docs" / "library.md")
    args = parser.parse_args(argv)
    templates = Path(__file__).resolve().parent / "templates"
    for name in RECIPES:
        (templates / f"{name}.yaml").write_text(render_template_yaml(name), encoding="utf-8")
    args.docs.write_text(render_library_markdown(), encoding="utf-8")


if __name__ == "__main__":
    main()
