"""The question library: every bank entry is a valid question with its rationale, the bundled templates load,
round-trip and are built from the bank, and unknown names fail with the known ones listed."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from surveys import InvalidDefinition, read_survey
from surveys.definition import build_survey, parse_survey_text, to_yaml
from surveys.errors import CxroiError
from surveys.library import (
    UnknownLibraryItem,
    build_question,
    library_entry,
    load_template,
    question_bank,
    read_bank_text,
    template_names,
    template_path,
)
from surveys.library.compose import render_template_yaml
from surveys.library.docs import render_library_markdown
from surveys.lint import estimate_completion_seconds, lint_survey
from surveys.model import Survey
from surveys.questions import Question, QuestionBase
from webapp.cli import main

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ["mystery_shop", "post_support", "relationship"]
QUESTION = TypeAdapter(Question)


# --- the bank ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", question_bank(), ids=lambda entry: entry.key)
def test_every_entry_is_a_valid_question_that_round_trips(entry) -> None:
    question = entry.question
    assert type(question).model_validate(question.model_dump()) == question
    assert QUESTION.validate_json(QUESTION.dump_json(question)) == question
    assert question.rationale == entry.rationale
    assert len(entry.rationale) >= 40, "a rationale a CX lead can act on is more than a few words"
    assert entry.title.strip()


def test_the_categories_the_spec_asks_for_are_all_present() -> None:
    categories = {entry.category for entry in question_bank()}
    required = {"alignment", "effort", "friction", "human", "urgency", "continuity", "valued", "channels", "open",
                "baseline"}
    assert required <= categories


def test_baselines_are_exactly_the_nps_and_csat_entries() -> None:
    bank = question_bank()
    baselines = {entry.key for entry in bank if entry.baseline}
    assert baselines == {entry.key for entry in bank if entry.question.type in ("nps", "csat")}
    assert baselines == {"nps", "csat", "csat_contact"}
    assert all(entry.category == "baseline" for entry in bank if entry.baseline)


def test_keys_and_question_ids_are_unique() -> None:
    bank = question_bank()
    assert len({entry.key for entry in bank}) == len(bank)
    assert len({entry.question.id for entry in bank}) == len(bank)


def test_the_moments_that_matter_are_worded_as_the_spec_says() -> None:
    urgent = library_entry("urgent_reach").question
    assert urgent.text.startswith("Think of the last time you needed help urgently.")
    assert urgent.type == "single_choice"
    continuity = library_entry("continuity").question
    assert continuity.type == "single_choice"
    assert [c.code for c in continuity.choices][:3] == ["same_person", "knew_history", "start_over"]
    consistency = library_entry("channel_consistency").question
    assert (consistency.type, consistency.text) == (
        "likert", "The service I get is equally good whichever way I contact you.")
    assert library_entry("valued").question.text == "Given how long you have been a customer, how valued do you feel?"
    # Balanced, fully labelled: the middle point of a 5-point rating is the neutral one.
    assert library_entry("reach_human").question.scale.labels[2] == "Neither easy nor difficult"
    assert library_entry("channel_experience").question.scale.labels[2] == "Neither good nor poor"


JARGON = re.compile(r"\b(ticket|sla|fcr|nps|csat|ces|touchpoints?|channels?|escalat\w*|case number|kpi)\b",
                    re.IGNORECASE)


def _respondent_texts(question: QuestionBase) -> list[str]:
    texts = [question.text, question.help or ""]
    texts += [choice.label for choice in getattr(question, "choices", [])]
    texts.append(getattr(question, "follow_up_text", ""))
    if scale := getattr(question, "scale", None):
        texts += [*(scale.labels or ()), scale.min_label or "", scale.max_label or ""]
    return texts


@pytest.mark.parametrize("entry", question_bank(), ids=lambda entry: entry.key)
def test_respondents_never_see_internal_jargon(entry) -> None:
    for text in _respondent_texts(entry.question):
        assert not JARGON.search(text), text


WORDING_AND_SCALE_CODES = {"double_barrelled", "leading_wording", "double_negative", "jargon", "long_question",
                           "unlabelled_scale", "unbalanced_scale", "duplicate_choice_label"}


def test_every_bank_question_passes_the_linters_wording_and_scale_checks() -> None:
    # Templates use nearly all of the bank; this covers every entry, including those no template uses.
    survey = build_survey({
        "id": "whole_bank", "title": "Every question of the bank",
        "brand_promises": [{"id": "easy", "label": "We make things easy"}],
        "touchpoints": [{"id": "billing", "label": "Billing"}],
        "channels": [{"id": code, "label": code} for code in ("phone", "email", "chat", "web", "in_person")],
        "sections": [{"id": f"s_{entry.key}", "title": "Your experience", "questions": [entry.question.model_dump()]}
                     for entry in question_bank()],
    })
    findings = [(f.code, f.question_id, f.message) for f in lint_survey(survey) if f.code in WORDING_AND_SCALE_CODES]
    assert findings == []


def test_a_broken_bank_file_names_the_place_of_every_mistake() -> None:
    text = """
- {key: a, category: effort, title: T, rationale: R, question: {id: q_a, type: rating, text: X, scale: {min: 3, max: 2}}}
- {key: b, category: efort, title: T, rationale: R, question: {id: q_b, type: ces, text: X}}
- {key: c, category: effort, title: T, question: {id: q_c, type: ces, text: X}}
- {key: b, category: effort, title: T, rationale: R, question: {id: q_d, type: ces, text: X}}
"""
    with pytest.raises(InvalidDefinition) as caught:
        read_bank_text(text, source="bank.yaml")
    assert [(p.path, p.message.split(" ")[0]) for p in caught.value.problems] == [
        ("[0].question.scale.max", "the"),   # max 2 below min 3
        ("[1].category", "unknown"),         # "efort"
        ("[2].rationale", "Field"),          # missing
        ("", "duplicate"),                   # key b twice
    ]
    assert "duplicate key: b" in str(caught.value)


def test_build_question_gives_an_independent_copy_with_a_fresh_id() -> None:
    bank_question = library_entry("continuity").question
    copy = build_question("continuity", question_id="q_same_face")
    assert copy.id == "q_same_face"
    assert copy.text == bank_question.text and copy.choices == bank_question.choices
    assert copy.rationale == library_entry("continuity").rationale
    copy.choices.append(copy.choices[0])  # the models are frozen, their lists are not: must not reach the bank
    assert len(library_entry("continuity").question.choices) == 4
    assert library_entry("continuity").question.id == "q_continuity"


def test_build_question_without_an_id_avoids_the_ids_already_taken() -> None:
    assert build_question("ces").id == "q_ces"
    assert build_question("ces", taken={"q_nps"}).id == "q_ces"
    assert build_question("ces", taken={"q_ces"}).id == "q_ces_2"
    assert build_question("ces", taken={"q_ces", "q_ces_2"}).id == "q_ces_3"


def test_build_question_rejects_an_id_a_definition_would_reject() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        build_question("ces", question_id="2 effort")
    assert "'ces'" in str(caught.value) and "id" in str(caught.value)


def test_an_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(UnknownLibraryItem) as caught:
        library_entry("net_promoter")
    message = str(caught.value)
    assert isinstance(caught.value, CxroiError) and isinstance(caught.value, LookupError)
    assert "'net_promoter'" in message
    for key in ("brand_alignment", "ces", "urgent_reach", "continuity", "nps"):
        assert key in message
    with pytest.raises(UnknownLibraryItem):
        build_question("net_promoter")


# --- the templates -----------------------------------------------------------------------------------------


def test_the_three_templates_are_bundled_as_package_data() -> None:
    assert template_names() == TEMPLATES
    for name in TEMPLATES:
        assert files("surveys.library").joinpath("templates", f"{name}.yaml").is_file()
        assert template_path(name) == ROOT / "surveys" / "library" / "templates" / f"{name}.yaml"


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_reads_validates_and_round_trips(name: str) -> None:
    survey = read_survey(template_path(name))
    assert survey.id == name
    assert load_template(name) == survey
    assert parse_survey_text(to_yaml(survey)) == survey


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_command_line_validates_every_template(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["survey", "validate", str(template_path(name))])  # an invalid file exits 2 (SystemExit fails the test)
    assert f"{template_path(name)}: valid" in capsys.readouterr().out


def test_load_template_takes_an_id_and_a_title() -> None:
    survey = load_template("post_support", survey_id="acme_support", title="Your call with Acme")
    assert (survey.id, survey.title) == ("acme_support", "Your call with Acme")
    assert [s.id for s in survey.sections] == [s.id for s in load_template("post_support").sections]


def test_load_template_rejects_an_id_a_definition_would_reject_naming_the_field() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        load_template("relationship", survey_id="acme survey")
    assert [problem.path for problem in caught.value.problems] == ["id"]


def test_an_unknown_template_names_the_known_ones() -> None:
    for call in (load_template, template_path):
        with pytest.raises(UnknownLibraryItem) as caught:
            call("onboarding")
        assert str(caught.value) == "unknown template 'onboarding'; known: mystery_shop, post_support, relationship"


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_lints_clean_and_fits_its_time_budget(name: str) -> None:
    survey = load_template(name)
    serious = [(f.severity, f.code, f.path) for f in lint_survey(survey) if f.severity in ("error", "warning")]
    assert serious == []
    assert estimate_completion_seconds(survey) <= survey.time_budget_minutes * 60


def _bank_source(question_id: str) -> tuple[str, bool]:
    """The bank question a template question comes from: its own id, or the longest bank id + '_' prefix."""
    ids = {entry.question.id: entry.key for entry in question_bank()}
    if question_id in ids:
        return ids[question_id], True
    prefixes = [bank_id for bank_id in ids if question_id.startswith(bank_id + "_")]
    assert prefixes, f"{question_id} does not come from the bank"
    return ids[max(prefixes, key=len)], False


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_question_is_a_bank_question(name: str) -> None:
    # Only what a template must set may differ from the bank: id, required, show_if, the channel source, and
    # (for per-touchpoint copies with their own id) the text naming the touchpoint.
    for question in load_template(name).questions():
        key, same_id = _bank_source(question.id)
        bank = library_entry(key).question
        ignored = {"id", "required", "show_if", "used_channels_from"} | (set() if same_id else {"text"})
        assert question.model_dump(exclude=ignored) == bank.model_dump(exclude=ignored), question.id


def _follow_ups(survey: Survey) -> list[QuestionBase]:
    return [q for q in survey.questions() if q.type == "text" and q.show_if]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_links_to_a_customer_and_follows_up_a_low_effort_score(name: str) -> None:
    survey = load_template(name)
    assert survey.customer_id_param
    effort = [q.id for q in survey.questions() if q.type == "ces"]  # type: ignore[attr-defined]
    assert len(effort) == 1
    follow_up = [q for q in _follow_ups(survey) if q.show_if == f"{effort[0]} <= 4"]
    assert len(follow_up) == 1
    # 4 is the neutral point of the 7-point scale: neutral or worse is asked why, agreement is not.
    assert survey.is_shown(follow_up[0], {effort[0]: 4})
    assert not survey.is_shown(follow_up[0], {effort[0]: 5})
    assert not survey.is_shown(follow_up[0], {})


@pytest.mark.parametrize("name", TEMPLATES)
def test_baselines_never_stand_alone(name: str) -> None:
    bank = {entry.question.id: entry for entry in question_bank()}
    questions = list(load_template(name).questions())
    baselines = [q for q in questions if q.id in bank and bank[q.id].baseline]
    scored_better = [q for q in questions if q.type in ("ces", "alignment", "friction", "channel_rating")]  # type: ignore[attr-defined]
    assert len(scored_better) >= 2
    assert all(q.type in ("nps", "csat") for q in baselines)  # type: ignore[attr-defined]
    # Baselines come last, after the better questions, so they do not frame the answers to them.
    positions = {q.id: i for i, q in enumerate(questions)}
    assert all(positions[b.id] > positions[s.id] for b in baselines for s in scored_better)


@pytest.mark.parametrize("name", TEMPLATES)
def test_follow_ups_are_on_a_later_page_than_the_answer_they_depend_on(name: str) -> None:
    # Respondent pages work without JavaScript, so a condition can only read answers from earlier pages.
    survey = load_template(name)
    page_of = {q.id: index for index, section in enumerate(survey.sections) for q in section.questions}
    from surveys.logic import parse_condition

    for question in survey.questions():
        if question.show_if:
            for ref, _row in parse_condition(question.show_if).references():
                assert page_of[ref] < page_of[question.id], question.id


def test_the_mystery_shop_records_every_touchpoint_unexpected_good_or_bad() -> None:
    survey = load_template("mystery_shop")
    touchpoints = [t.id for t in survey.touchpoints]
    assert len(touchpoints) == 5
    for touchpoint in touchpoints:
        choice = survey.question(f"q_unexpected_{touchpoint}")
        assert choice.type == "single_choice"  # type: ignore[attr-defined]
        assert [c.code for c in choice.choices][:3] == ["good", "bad", "as_expected"]  # type: ignore[attr-defined]
        note = survey.question(f"q_unexpected_note_{touchpoint}")
        assert note.type == "text"  # type: ignore[attr-defined]
        label = dict(survey.grid_rows("touchpoints"))[touchpoint]
        assert choice.text.startswith(label) and note.text.startswith(label)
        assert survey.is_shown(note, {choice.id: "good"})
        assert survey.is_shown(note, {choice.id: "bad"})
        assert not survey.is_shown(note, {choice.id: "as_expected"})
        assert not survey.is_shown(note, {choice.id: "not_reached"})
    assert {q.type for q in survey.questions()} >= {"friction", "channel_rating"}  # type: ignore[attr-defined]
    assert not [q for q in survey.questions() if q.type == "nps"]  # type: ignore[attr-defined]


def test_the_relationship_channel_ratings_show_only_the_channels_used() -> None:
    survey = load_template("relationship")
    rating = survey.question("q_channel")
    rows = rating.rows_for(survey, {"q_channels": ["chat", "in_person"]})  # type: ignore[attr-defined]
    assert [row for row, _ in rows] == ["chat", "in_person"]
    answers, errors = survey.clean_section(survey.sections[2], {"q_channel": {"phone": 4}}, {"q_channels": ["chat"]})
    assert "q_channel" in errors and answers == {}


@pytest.mark.parametrize("name", TEMPLATES)
def test_respondents_never_see_internal_jargon_in_templates(name: str) -> None:
    survey = load_template(name)
    texts = [survey.title, survey.intro or ""] + [s.title for s in survey.sections] + [s.intro or "" for s in survey.sections]
    texts += [item.label for item in (*survey.brand_promises, *survey.touchpoints, *survey.channels)]
    for question in survey.questions():
        texts += _respondent_texts(question)
    for text in texts:
        assert not JARGON.search(text), text


# --- generated files stay in step with their sources ----------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_files_are_what_their_recipes_build(name: str) -> None:
    assert template_path(name).read_text(encoding="utf-8") == render_template_yaml(name), (
        "run: python -m surveys.library.compose")


def test_the_library_documentation_is_current_and_names_every_entry() -> None:
    text = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    assert text == render_library_markdown(), "run: python -m surveys.library.compose"
    for entry in question_bank():
        assert f"`{entry.key}`" in text and entry.rationale in text
    for name in TEMPLATES:
        assert f"### `{name}`" in text


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_grid_following_an_answer_is_on_a_later_page_than_it(name: str) -> None:
    survey = load_template(name)
    page_of = {q.id: index for index, section in enumerate(survey.sections) for q in section.questions}
    for question in survey.questions():
        for dependency in question.row_dependencies():
            assert page_of[dependency] < page_of[question.id], (question.id, dependency)


def test_composing_with_other_channels_generates_the_channels_used_choices() -> None:
    from surveys.library.compose import compose_template

    channels = [{"id": "phone", "label": "Telephone"}, {"id": "sms", "label": "Text message"},
                {"id": "branch", "label": "At a branch"}]
    survey = compose_template("relationship", channels=channels)
    used = survey.question("q_channels")
    # worked out by hand: one choice per channel, code = id, label = label, in the survey's order
    assert [(c.code, c.label) for c in used.own_choices()] == [
        ("phone", "Telephone"), ("sms", "Text message"), ("branch", "At a branch")]
    assert [row for row, _ in survey.question("q_channel").rows_for(survey, {"q_channels": ["sms"]})] == ["sms"]
    tried = compose_template("mystery_shop", channels=channels).question("q_channels_tried")
    assert [c.code for c in tried.own_choices()] == ["phone", "sms", "branch"]
    # with the default channels the bank's choices come out unchanged (the bundled files do not move)
    default = compose_template("relationship").question("q_channels")
    assert [(c.code, c.label) for c in default.own_choices()] == [
        (c.code, c.label) for c in library_entry("channels_used").question.own_choices()]
    # questions that no channel grid reads keep their own choices
    others = {q.id: q.own_choices() for q in compose_template("relationship").questions() if q.id != "q_channels"}
    assert {q.id: q.own_choices() for q in survey.questions() if q.id != "q_channels"} == others
    assert any(others.values())  # there are such questions to compare
