"""The field factory: one `FieldFactory` per respondent widget, keyed by the `widget` each question type
declares, turning a question of the survey model into WTForms fields at run time, reading its raw answer back
from a POST, and pre-filling a stored answer. The fields carry no validators: `Survey.clean_section` is the one
validator (WTForms only renders).

Field names are the export columns' names: `question_id` for plain questions, `question_id.row_id` for one
row of a grid (one radio group per row), `question_id.row_id.what` for a friction follow-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask_babel import get_locale
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import Form, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.widgets import CheckboxInput, ListWidget

from surveys.logic import parse_condition
from surveys.model import Section, Survey
from surveys.not_applicable import NOT_APPLICABLE, offers_not_applicable
from surveys.page_logic import previous_page, progress, shown_pages
from surveys.questions import AnswerError, QuestionBase, Widget

from ..services.kept import Kept
from .languages import chrome_gettext as gettext
from .languages import local_ordinal, translate_error, translate_fixed

try:  # WTForms 3.3 wants SelectChoice objects; older 3.x takes (value, label) pairs
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - depends on the installed WTForms
    SelectChoice = None


def _choices(pairs: list[tuple[str, str]]) -> list[Any]:
    """Options for WTForms, a fixed scale's labels in the respondent's language (the definition's own labels are
    in it already: the page is built from the survey's view in that language)."""
    pairs = [(value, translate_fixed(label)) for value, label in pairs]
    return [SelectChoice(value, label) for value, label in pairs] if SelectChoice else pairs


META_FIELDS = frozenset({"csrf_token", "page", "lang", "back"})
"""Form fields that are not answers: the CSRF token, the page number, the language the page was shown in and the
Back button."""


class FieldFactory:
    """How one question type becomes fields (`build`), is read back (`read`) and is pre-filled (`prefill`).

    `template` is the Jinja template under `templates/respond/fields/` that renders the question.
    """

    template = ""
    multiple: frozenset[str] = frozenset()

    def build(self, question: Any, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        raise NotImplementedError

    def read(self, question: Any, names: list[str], formdata: MultiDict[str, str]) -> Any:
        return formdata.get(question.id)

    def prefill(self, question: Any, answer: Any) -> dict[str, Any]:
        return {question.id: answer}


class TextFactory(FieldFactory):
    template = "respond/fields/text.html"

    def build(self, question: Any, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        kind = TextAreaField if question.multiline else StringField
        # No maxlength attribute: a browser would cut a pasted answer silently; the server says how long it is.
        return {question.id: kind(question.text, render_kw={"spellcheck": "true"})}


class NumberFactory(FieldFactory):
    template = "respond/fields/text.html"

    def build(self, question: Any, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        # A text input, not type=number: the server's rules (clean_answer) decide, and phones still get digits.
        mode = "numeric" if question.integer else "decimal"
        return {question.id: StringField(question.text, render_kw={"inputmode": mode, "autocomplete": "off"})}


def _radio_choices(question: QuestionBase, survey: Survey) -> list[Any]:
    """A radio group's options: the question's, then "Not applicable" when it offers it, then "No answer" (a
    real radio, value "": sent, it clears the answer) when it is optional. Kept per question, survey and
    language while the same objects are in use: every respondent of a page asks for the same options."""
    locale = str(get_locale())
    kept = _RADIO_CHOICES.get((question, survey), locale)
    if kept is not None:
        return kept
    extra = [(NOT_APPLICABLE, gettext("Not applicable"))] if offers_not_applicable(survey, question) else []
    extra += [] if question.required else [("", gettext("No answer"))]
    choices = _choices(question.options()) + [SelectChoice(*pair) if SelectChoice else pair for pair in extra]
    return _RADIO_CHOICES.put((question, survey), locale, choices)


_RADIO_CHOICES = Kept(1024)
_BUILT = Kept()
"""The fields of a question shown on a reused survey whose rows follow no earlier answer (`build_page`)."""


ASIDE_VALUES = frozenset({"", NOT_APPLICABLE})
"""Option values shown apart from the scale: "No answer" and "Not applicable"."""


def point_count(field: RadioField | SelectMultipleField) -> int:
    """The options of a choice field that are choices or scale points (not "No answer" or "Not applicable"):
    more than 7 lay out as a wrapping grid of small boxes (`options-wide`)."""
    values = [choice.value if SelectChoice else choice[0] for choice in field.choices]
    return sum(1 for value in values if value not in ASIDE_VALUES)


class RadioFactory(FieldFactory):
    """One radio group: a question's choices, or the points of its scale."""

    template = "respond/fields/choice.html"

    def build(self, question: QuestionBase, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        return {question.id: RadioField(question.text, choices=_radio_choices(question, survey), validate_choice=False)}


class CheckboxesFactory(FieldFactory):
    template = "respond/fields/multi_choice.html"

    def build(self, question: QuestionBase, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        return {question.id: SelectMultipleField(question.text, choices=_choices(question.options()),
                                                 validate_choice=False, widget=ListWidget(prefix_label=False),
                                                 option_widget=CheckboxInput())}

    def read(self, question: Any, names: list[str], formdata: MultiDict[str, str]) -> Any:
        return formdata.getlist(question.id)

    def prefill(self, question: Any, answer: Any) -> dict[str, Any]:
        return {question.id: list(answer or [])}


class RowRadiosFactory(FieldFactory):
    """A grid on a scale (alignment, channel ratings): one radio group per row."""

    template = "respond/fields/grid.html"

    def rows(self, question: QuestionBase, survey: Survey, context: Mapping[str, Any]) -> list[tuple[str, str]]:
        if question.row_dependencies() and _answered_earlier(survey, question):
            return question.rows_for(survey, context)
        return question.rows(survey)  # the answers deciding the rows are given on this same page: show them all

    def build(self, question: QuestionBase, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        choices = _radio_choices(question, survey)
        return {f"{question.id}.{row}": RadioField(label, choices=choices, validate_choice=False)
                for row, label in self.rows(question, survey, context)}

    def read(self, question: Any, names: list[str], formdata: MultiDict[str, str]) -> Any:
        prefix = question.id + "."
        return {name[len(prefix):]: formdata.get(name) for name in names if formdata.get(name) is not None}

    def prefill(self, question: Any, answer: Any) -> dict[str, Any]:
        return {f"{question.id}.{row}": value for row, value in (answer or {}).items()}


def _answered_earlier(survey: Survey, question: QuestionBase) -> bool:
    """Whether the questions deciding this grid's rows are all on pages before this grid's page."""
    earlier: set[str] = set()
    for section in survey.sections:
        ids = {q.id for q in section.questions}
        if question.id in ids:
            return question.row_dependencies() <= earlier
        earlier |= ids
    return False


class FrictionFactory(FieldFactory):
    """Per row (touchpoint) a yes/no radio group, and with `follow_up` a text box asking what made them hesitate."""

    template = "respond/fields/friction.html"

    def build(self, question: Any, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        fields: dict[str, UnboundField] = {}
        # an optional grid's rows can be taken back: "No answer" (value "") after yes and no
        options = [("yes", gettext("Yes")), ("no", gettext("No"))] + ([] if question.required else
                                                                      [("", gettext("No answer"))])
        choices = _choices(options)
        for row, label in question.rows(survey):
            fields[f"{question.id}.{row}"] = RadioField(label, choices=choices, validate_choice=False)
            if question.follow_up:
                prompt = translate_fixed(question.follow_up_text)
                fields[f"{question.id}.{row}.what"] = TextAreaField(f"{label}: {prompt}")
        return fields

    def read(self, question: Any, names: list[str], formdata: MultiDict[str, str]) -> Any:
        prefix = question.id + "."
        answer: dict[str, Any] = {}
        for name in names:
            if name.endswith(".what"):
                continue
            row = name[len(prefix):]
            cell = {"hesitated": formdata.get(name), "what": formdata.get(f"{name}.what")}
            if any(value not in (None, "") for value in cell.values()):
                answer[row] = {key: value for key, value in cell.items() if value is not None}
        return answer

    def prefill(self, question: Any, answer: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for row, cell in (answer or {}).items():
            data[f"{question.id}.{row}"] = "yes" if cell.get("hesitated") else "no"
            data[f"{question.id}.{row}.what"] = cell.get("what", "")
        return data


class DateFactory(FieldFactory):
    """A browser date box (`<input type="date">`, a text box where the browser has none): it sends YYYY-MM-DD,
    which the server reads (and nothing else); `min`/`max` are passed on so the browser's calendar agrees."""

    template = "respond/fields/date.html"

    def build(self, question: Any, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        attributes = {"type": "date", "autocomplete": "off"}
        for which in ("min", "max"):
            day = question.bound(which)
            if day is not None:
                attributes[which] = day.isoformat()
        return {question.id: StringField(question.text, render_kw=attributes)}


class RankingFactory(FieldFactory):
    """One list of the choices per rank position (`question_id.1` for the first place, `.2` …), each labelled
    with its position in the page's language (`languages.local_ordinal`: 2nd, 2e, 2., 2.º): no JavaScript, no
    typing, the phone's own picker, and a screen reader reads "2nd, combo box" before the choices
    (docs/question-types.md says why this over a number box per choice)."""

    template = "respond/fields/ranking.html"

    def build(self, question: Any, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        choices = _choices([("", gettext("Choose…")), *question.options()])
        return {f"{question.id}.{position}": SelectField(local_ordinal(position), choices=choices,
                                                         validate_choice=False)
                for position in range(1, question.positions + 1)}

    def read(self, question: Any, names: list[str], formdata: MultiDict[str, str]) -> Any:
        places = [formdata.get(name) for name in names]
        return places if any(places) else None  # every place left empty: not answered

    def prefill(self, question: Any, answer: Any) -> dict[str, Any]:
        return {f"{question.id}.{position}": code for position, code in enumerate(answer or [], 1)}


class NoteFactory(FieldFactory):
    """A note: its text on the page, and no field."""

    template = "respond/fields/note.html"

    def build(self, question: Any, survey: Survey, context: Mapping[str, Any]) -> dict[str, UnboundField]:
        return {}

    def read(self, question: Any, names: list[str], formdata: MultiDict[str, str]) -> Any:
        return None

    def prefill(self, question: Any, answer: Any) -> dict[str, Any]:
        return {}


FIELD_FACTORIES: dict[Widget, FieldFactory] = {
    "text": TextFactory(),
    "number": NumberFactory(),
    "radio": RadioFactory(),
    "checkboxes": CheckboxesFactory(),
    "row_radios": RowRadiosFactory(),
    "row_yes_no": FrictionFactory(),
    "date": DateFactory(),
    "ranking": RankingFactory(),
    "note": NoteFactory(),
}
"""The field factory of every respondent widget a question type can declare (`QuestionBase.widget`)."""


@dataclass
class QuestionFields:
    """A visible question of a page with its factory and the names of its fields."""

    question: QuestionBase
    factory: FieldFactory
    names: list[str]
    kept: bool = False
    """Its blank HTML may be kept (`rendering.question_html`): the question object lives as long as the process
    (on a reused survey, not shuffled for one respondent)."""


@dataclass
class Page:
    """One page (section) of a survey for one respondent: its rendered questions and their field names, and the
    WTForms form rendering them, built when first asked for (a POST that saves the page never is)."""

    survey: Survey
    index: int
    section: Section
    fields: dict[str, UnboundField]
    questions: list[QuestionFields] = field(default_factory=list)
    formdata: MultiDict[str, str] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def form(self) -> Form:
        form_class = type("PageForm", (Form,), self.fields)
        if self.formdata is not None:
            return form_class(formdata=self.formdata, data=self.data)
        return form_class(data=self.data)

    def is_blank(self, entry: QuestionFields) -> bool:
        """Whether `entry` is shown with nothing in it: no POST shown again, no stored answer filled in."""
        return self.formdata is None and not any(name in self.data for name in entry.names)

    @property
    def answer_names(self) -> set[str]:
        return {name for entry in self.questions for name in entry.names}

    def unexpected_fields(self, formdata: MultiDict[str, str]) -> list[str]:
        """Field names in a POST that this page did not render, or sent more than once where one value fits."""
        allowed = self.answer_names | META_FIELDS
        multiple = {e.question.id for e in self.questions if isinstance(e.factory, CheckboxesFactory)}
        odd = [name for name in formdata if name not in allowed]
        odd += [name for name in formdata if name in allowed and name not in multiple
                and len(formdata.getlist(name)) > 1]
        return odd

    def read_raw(self, formdata: MultiDict[str, str]) -> dict[str, Any]:
        """The page's raw answers by question id, ready for `Survey.clean_section`."""
        return {e.question.id: e.factory.read(e.question, e.names, formdata) for e in self.questions}

    def fields_of(self, entry: QuestionFields) -> list[Any]:
        return [self.form[name] for name in entry.names]

    def error_anchor(self, entry: QuestionFields, error: AnswerError) -> str:
        """The id of the input an error summary link jumps to: the erring row's first option, else the
        question's first input."""
        if not entry.names:
            return f"{entry.question.id}-error"
        row_name = f"{entry.question.id}.{error.row}"
        field = self.form[row_name] if error.row and row_name in entry.names else self.form[entry.names[0]]
        return f"{field.id}-0" if isinstance(field, (RadioField, SelectMultipleField)) else str(field.id)

    def error_text(self, entry: QuestionFields, error: AnswerError) -> str:
        """The error message, prefixed with the row's label when it concerns one row of a grid."""
        message = translate_error(error.message)
        if error.row and not error.names_rows:
            label = dict(entry.question.rows(self.survey)).get(error.row)
            if label:
                return f"{label}: {message}"
        return message


def option_inputs(field: RadioField | SelectMultipleField, described: str | None) -> Markup:
    """The radio buttons (or checkboxes) of a choice field with their labels, one `<div class="option">` each,
    exactly as iterating the field and calling each option's WTForms widget renders them (attributes in
    `html_params`' sorted order: aria-describedby, checked, id, name, type, value), written directly: a page
    of 60 options spends a few milliseconds less than through the widgets."""
    multiple = isinstance(field, SelectMultipleField)
    kind = "checkbox" if multiple else "radio"
    if multiple:
        chosen = set(field.data or ())
        selected = lambda value: str(value) in chosen  # noqa: E731 - the field's coerce is str
    else:
        data = field.data
        selected = lambda value: str(value) == data  # noqa: E731
    aria = f'aria-describedby="{escape(described)}" ' if described else ""
    name, prefix = escape(field.name), escape(field.id)
    parts = []
    for number, choice in enumerate(field.choices):
        value, label = (choice.value, choice.label) if SelectChoice else choice
        checked = "checked " if selected(value) else ""
        # "No answer" / "Not applicable" apart; a labelled point (a scale's end) takes a whole row in a wide grid
        kind_class = ("option option-aside" if value in ASIDE_VALUES and not multiple
                      else "option option-end" if label and label != str(value) else "option")
        parts.append(f'\n  <div class="{kind_class}"><input {aria}{checked}id="{prefix}-{number}" name="{name}" '
                     f'type="{kind}" value="{escape(str(value))}"> <label for="{prefix}-{number}">'
                     f'{escape(label or value)}</label></div>\n')
    return Markup("".join(parts))  # nosec B704 - every value and label above is escaped


def is_rendered(survey: Survey, question: QuestionBase, earlier: Mapping[str, Any],
                earlier_ids: set[str]) -> bool:
    """A question hidden by answers on earlier pages is not rendered; one whose condition refers to a question
    on its own page is rendered (without JavaScript it cannot appear later) and `clean_section` ignores its
    answer when the condition turns out false."""
    if question.show_if is None:
        return True
    references = {question_id for question_id, _ in parse_condition(question.show_if).references()}
    if references <= earlier_ids:
        return survey.is_shown(question, earlier)
    return True


def navigation(survey: Survey, index: int, answers: Mapping[str, Any],
               shown: list[bool] | None = None) -> dict[str, Any]:
    """What the page template shows around the questions of page `index`, given the answers so far: its place
    among the pages the respondent sees and how many they see (`number`, `pages`: pages that page logic hides are
    not counted; the last page shown says Submit), and whether there is a Back button (`back`), the page it goes
    to (`back_to`, 0-based, over hidden pages) and that page's place (`back_number`). `shown`: `shown_pages`
    for these answers when the caller has worked it out already."""
    shown = shown if shown is not None else shown_pages(survey, answers)  # once for the three questions below
    number, pages = progress(survey, index, answers, shown)
    back_to = previous_page(survey, index, answers, shown)
    return {"number": number, "pages": pages, "back": index > 0, "back_to": back_to,
            "back_number": progress(survey, back_to, answers, shown)[0]}


def build_page(survey: Survey, index: int, earlier: Mapping[str, Any], *,
               formdata: MultiDict[str, str] | None = None, answers: Mapping[str, Any] | None = None,
               seed: str = "", reused: bool = False) -> Page:
    """The form of page `index`: fields for each rendered question, filled from `formdata` (a POST being
    shown again) or from the stored `answers`. `seed` names the respondent: a question that shuffles its choices
    (`randomize`) shows them in that respondent's order (`for_respondent`). `reused`: `survey` lives as long as the
    process (a published version's, not piped), so a blank question's HTML may be kept (`QuestionFields.kept`)."""
    section = survey.sections[index]
    earlier_ids = {q.id for s in survey.sections[:index] for q in s.questions}
    entries: list[QuestionFields] = []
    unbound: dict[str, UnboundField] = {}
    data: dict[str, Any] = {}
    for question in section.questions:
        if not is_rendered(survey, question, earlier, earlier_ids):
            continue
        factory = FIELD_FACTORIES[question.widget]
        shown = question.for_respondent(seed)
        kept = reused and shown is question
        if kept and not question.row_dependencies():  # the same fields for every respondent: built once
            fields = _BUILT.get((question, survey)) or _BUILT.put((question, survey), None,
                                                                  factory.build(question, survey, earlier))
        else:
            fields = factory.build(shown, survey, earlier)
        unbound.update(fields)
        entries.append(QuestionFields(shown, factory, list(fields), kept=kept))
        if answers and shown.id in answers:
            data.update(factory.prefill(shown, answers[shown.id]))
    return Page(survey, index, section, unbound, entries, formdata, data)
