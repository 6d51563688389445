"""The questionnaire: Survey → sections (one page each) → questions, plus the brand promises, touchpoints and
channels that the grid questions ask about."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from .branding import Branding
from .logic import parse_condition
from .mail_texts import MailTexts
from .not_applicable import STORED_KEY, merge_not_applicable, not_applicable_of, take_not_applicable
from .page_logic import (
    MAX_CALCULATIONS,
    MAX_SCREEN_OUTS,
    SCREENED_OUT_COLUMN,
    SCREENED_OUT_KEY,
    Calculation,
    ScreenOut,
    in_view,
    logic_cells,
    logic_columns,
    shown_pages,
    with_calculated,
)
from .questions import (
    AnswerError,
    Identifier,
    MissingAnswer,
    MissingRows,
    Question,
    QuestionBase,
    ShowIf,
    Strict,
    is_blank,
    registry,
)
from .texts import LANGUAGE_TAG, LabelText, Prose, Text, default_language, texts_of

RESERVED_COLUMNS = ("response_id", "customer_id", "channel", "survey_version", "started_at", "submitted_at", "status")
"""The response's own columns every responses table starts with (DESIGN.md), by their usual names. A question may
take one of these ids (real XLSForms have `status` and `channel` questions): the question's column keeps its id and
that survey's table names the response's own column `response_<name>` instead (`metadata_column`)."""
METADATA_PREFIX = "response_"


def metadata_column(name: str, question_columns: Collection[str]) -> str:
    """The column that holds the response's own `name` (one of `RESERVED_COLUMNS`, or an added column such as
    `wave`) beside `question_columns`: `name` itself, or `response_<name>` when a question's column is `name`
    (`response_<name>_`, `response_<name>__` … should that be taken too)."""
    if name not in question_columns:
        return name
    column = METADATA_PREFIX + name
    while column in question_columns:
        column += "_"
    return column


def metadata_columns(question_columns: Collection[str]) -> dict[str, str]:
    """`RESERVED_COLUMNS` → the column holding each beside `question_columns` (`metadata_column`)."""
    taken = set(question_columns)
    return {name: metadata_column(name, taken) for name in RESERVED_COLUMNS}


MAX_PAGES = 200
MAX_QUESTIONS_PER_PAGE = 200
"""Bounds on a definition's size, far beyond any survey a customer would finish (the linter warns much earlier)."""


class BrandPromise(Strict):
    """A promise the brand makes ("we make it easy"); customers rate how well their experience matched it."""

    id: Identifier
    label: LabelText
    description: Prose | None = None


class Touchpoint(Strict):
    """A step of the customer journey (ordering, delivery, billing, support call …)."""

    id: Identifier
    label: LabelText


class Channel(Strict):
    """A contact channel: phone, email, chat, SMS, web, in person."""

    id: Identifier
    label: LabelText


class Section(Strict):
    """One page of the questionnaire; with `show_if`, shown only when the condition holds over the answers of the
    pages before it (`page_logic`)."""

    id: Identifier
    title: LabelText
    intro: Prose | None = None
    show_if: ShowIf | None = None
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS_PER_PAGE)


Priority = Literal["low", "normal", "high", "urgent"]
DUE_HOURS: dict[str, float] = {"urgent": 4, "high": 24, "normal": 72, "low": 168}
"""How long after the response a follow-up case is due, by priority, unless the rule sets `due_hours`."""
MAX_FOLLOW_UPS = 100
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


class FollowUpRule(Strict):
    """Close the loop: when a completed response matches `when` (a condition in the show_if language over the
    answers, and the summary scores such as `bas`), a follow-up case opens for the owner or team."""

    id: Identifier
    when: str = Field(min_length=1, max_length=2000)
    priority: Priority = "normal"
    owner: str | None = Field(default=None, max_length=320,
                              description="E-mail address of the account (author or agent) that owns the case.")
    team: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                             description="Name of the team (agents and authors with this team) that owns the case.")
    note: str | None = Field(default=None, max_length=2000, description="What the owner should do; shown on the case.")
    due_hours: float | None = Field(default=None, gt=0, le=24 * 365, allow_inf_nan=False,
                                    description="Hours after the response the case is due (default by priority).")

    @field_validator("owner")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value.strip().lower() if value is not None else None

    @field_validator("when")
    @classmethod
    def _condition_parses(cls, value: str) -> str:
        parse_condition(value)  # ConditionSyntaxError is a ValueError: pydantic reports it at follow_up[i].when
        return value

    @model_validator(mode="after")
    def _one_owner(self) -> FollowUpRule:
        if (self.owner is None) == (self.team is None):
            raise ValueError("give either an owner (an e-mail address) or a team, not both or neither")
        return self

    @property
    def hours_to_due(self) -> float:
        return self.due_hours if self.due_hours is not None else DUE_HOURS[self.priority]


MAX_TIME_BUDGET_MINUTES = 24 * 60
"""A survey meant to take longer than a day is a mistake (and inf/nan cannot be stored as JSON)."""


class Survey(Strict):
    id: Identifier = Field(description="Stable slug, used in links and file names.")
    title: Text  # the hosting database keeps it in a 1000-character column
    intro: Prose | None = None
    thank_you: Prose | None = Field(default=None, description="Shown on the thank-you page after the answers.")
    default_language: str = Field(default="en", pattern=LANGUAGE_TAG,
                                  description="The language of plain-string texts (BCP 47: en, fr, pt-BR).")
    languages: list[Annotated[str, Field(pattern=LANGUAGE_TAG)]] = Field(
        default_factory=list, max_length=50,
        description="Every language the survey is offered in, the default one included (none: only the default).")
    brand_promises: list[BrandPromise] = Field(default_factory=list)
    touchpoints: list[Touchpoint] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    customer_id_param: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="Query parameter of the public link that carries a customer id (none: anonymous).",
    )
    time_budget_minutes: float = Field(default=8, gt=0, le=MAX_TIME_BUDGET_MINUTES, allow_inf_nan=False,
                                       description="Longest acceptable completion time (linter).")
    sections: list[Section] = Field(min_length=1, max_length=MAX_PAGES)
    not_applicable: bool = Field(default=False, description=(
        'Offer "Not applicable" on every single-choice, scale and scale-grid question (a question\'s own '
        "not_applicable overrides it)."))
    branding: Branding | None = Field(default=None, description="Logo and accent colour of the respondent pages.")
    follow_up: list[FollowUpRule] = Field(default_factory=list, max_length=MAX_FOLLOW_UPS,
                                          description="Rules that open a follow-up case when a response completes.")
    calculate: list[Calculation] = Field(default_factory=list, max_length=MAX_CALCULATIONS, description=(
        "Values derived from the answers, stored with the response when it is submitted (docs: Page logic)."))
    screen_out: list[ScreenOut] = Field(default_factory=list, max_length=MAX_SCREEN_OUTS, description=(
        "Rules that end the survey early, after the page where they become true, with their own closing text."))
    mail: MailTexts | None = Field(default=None, description="Invitation and reminder e-mail, per language.")

    @model_validator(mode="wrap")
    @classmethod
    def _in_default_language(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Survey:
        """Texts given per language take the survey's `default_language` as their default; `language`, the name
        of the setting before there were several, is still read as `default_language`."""
        old_name = None
        if isinstance(data, Mapping) and "language" in data:
            data = dict(data)
            old = old_name = data.pop("language")
            if data.setdefault("default_language", old) != old:
                raise ValueError("give default_language only ('language' is its older name)")
        language = data.get("default_language") if isinstance(data, Mapping) else None
        with default_language(language if isinstance(language, str) else "en"):
            try:
                survey: Survey = handler(data)
            except ValidationError as error:
                if old_name is None:
                    raise
                raise _renamed(error, "default_language", "language") from None  # the name the input used
        return survey

    @field_validator("title")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if any("\x00" in text for text in texts_of(value, "").values()):  # a PostgreSQL text column cannot hold it
            raise ValueError("contains a NUL character")
        return value

    @model_validator(mode="after")
    def _default_among_languages(self) -> Survey:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages: a language is listed twice")
        if self.languages and self.default_language not in self.languages:
            raise ValueError(f"languages must include the default language {self.default_language!r}")
        return self

    @property
    def language(self) -> str:
        """The default language (the setting's older name)."""
        return self.default_language

    @property
    def all_languages(self) -> list[str]:
        """The languages the survey is offered in, the default first."""
        return [self.default_language, *(code for code in self.languages if code != self.default_language)]

    # --- navigation -------------------------------------------------------------------------------------------

    def questions(self) -> Iterator[QuestionBase]:
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> QuestionBase:
        for question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def grid_rows(self, source: str) -> list[tuple[str, str]]:
        items: list[BrandPromise] | list[Touchpoint] | list[Channel] = getattr(self, source)
        return [(item.id, item.label) for item in items]

    def question_columns(self) -> list[str]:
        """The questions' columns of the wide responses table, one or more per question."""
        return [*(column for q in self.questions() for column in q.columns(self)), *logic_columns(self)]

    def metadata_columns(self) -> dict[str, str]:
        """Each of `RESERVED_COLUMNS` → its column in this survey's responses table (`metadata_column`)."""
        return metadata_columns(self.question_columns())

    def columns(self) -> list[str]:
        """Columns of the wide responses table: the response's own ones, then one or more per question."""
        questions = self.question_columns()
        return [*metadata_columns(questions).values(), *questions]

    # --- answers ------------------------------------------------------------------------------------------------

    def is_shown(self, question: QuestionBase, answers: Mapping[str, Any]) -> bool:
        return question.show_if is None or parse_condition(question.show_if).evaluate(answers)

    def clean_section(self, section: Section, raw: Mapping[str, Any], earlier: Mapping[str, Any]) -> tuple[
        dict[str, Any], dict[str, AnswerError]
    ]:
        """Validate one page's raw answers with the definition's rules.

        Returns (answers to store, errors by question id). Hidden questions are neither required nor
        stored; a channel grid only accepts the channels used. `earlier` holds the answers of previous pages.
        Questions (or grid rows) answered "Not applicable" are listed under `not_applicable.STORED_KEY`.
        """
        answers: dict[str, Any] = {}
        errors: dict[str, AnswerError] = {}
        skipped: list[str] = []
        page = self.sections.index(section)  # found by identity first (list.index), so cheap
        shown = shown_pages(self, earlier, until=page) if section.show_if is not None else None
        if shown is not None and not shown[page]:
            return answers, errors  # a page hidden by page logic: nothing required, nothing stored
        context = in_view(self, earlier, page, shown)
        for question in section.questions:
            if not self.is_shown(question, context):
                context.pop(question.id, None)
                continue
            try:
                value, not_applicable = take_not_applicable(self, question, raw.get(question.id), context)
            except AnswerError as error:
                errors[question.id] = error
                continue
            skipped += not_applicable
            if is_blank(value) and not (not_applicable and question.is_grid):
                if not not_applicable and question.required and question.expects_answer(self, context):
                    errors[question.id] = MissingAnswer("this question needs an answer")
                continue
            try:
                cleaned = question.clean_on_page(value, self, context)
            except AnswerError as error:
                errors[question.id] = error
            else:
                if not is_blank(cleaned):  # a grid answered only "Not applicable" stores no answer
                    answers[question.id] = context[question.id] = cleaned
                missing = question.missing_rows(cleaned, self, context) if question.required else []
                missing = [row for row in missing if f"{question.id}.{row}" not in not_applicable]
                if missing:  # every row left blank, by label; `row` is the first, for the page's anchor
                    labels = dict(question.rows(self))
                    names = ", ".join(labels.get(row, row) for row in missing)
                    errors[question.id] = MissingRows(f"answer every row: {names}", missing[0], names_rows=True)
        return (answers | {STORED_KEY: sorted(skipped)} if skipped else answers), errors

    def from_row(self, row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, AnswerError]]:
        """Read one responses-table row back into checked answers, page by page with the definition's rules
        (the inverse of `to_row`, for importing responses). Returns (answers, errors by question id); a
        blank required question is not an error here, since a partial response stops part-way."""
        answers: dict[str, Any] = {}
        errors: dict[str, AnswerError] = {}
        for section in self.sections:
            raw = {q.id: q.from_columns(row, self) for q in section.questions}
            page, page_errors = self.clean_section(section, raw, answers)
            answers = merge_not_applicable(answers | page, not_applicable_of(answers))
            errors.update({k: e for k, e in page_errors.items() if not isinstance(e, MissingAnswer)})
        if self.screen_out and row.get(SCREENED_OUT_COLUMN) in {rule.id for rule in self.screen_out}:
            answers[SCREENED_OUT_KEY] = row[SCREENED_OUT_COLUMN]
        return with_calculated(self, answers), errors

    def to_row(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers of one response spread over the question columns of the wide table."""
        row: dict[str, Any] = {}
        for question in self.questions():
            row.update(question.to_columns(answers.get(question.id), self))
        return row | logic_cells(self, answers)

    # --- follow-up rules ----------------------------------------------------------------------------------------

    def summary_scores(self) -> dict[str, list[str]]:
        """The per-respondent summary scores a follow-up rule may read (`bas`, `ces`, …), each with the ids of
        the questions giving it; with several questions of one kind a rule names one as `bas.<question_id>`."""
        scores: dict[str, list[str]] = {}
        for question in self.questions():
            if question.respondent_score is not None:
                scores.setdefault(question.respondent_score.base, []).append(question.id)
        return scores

    def follow_up_context(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """What follow-up rules read: the answers, plus each summary score the rules refer to (None when the
        respondent gave none), computed as the ROI analysis computes it (`surveys.scoring.respondent_scores`)."""
        context = dict(answers)
        scores = self.summary_scores()
        wanted = {question for rule in self.follow_up for question, _ in parse_condition(rule.when).references()
                  if question in scores and question not in context}
        if not wanted:
            return context
        import math

        import pandas as pd

        from .scoring import respondent_scores

        row = self.to_row(answers) | {self.metadata_columns()["status"]: "complete"}
        table = respondent_scores(pd.DataFrame([row]), self)
        values = {column: (None if math.isnan(value) else float(value))
                  for column, value in table.iloc[0].items()}
        for base in wanted:
            ids = scores[base]
            context[base] = values.get(base) if len(ids) == 1 else {qid: values.get(f"{base}.{qid}") for qid in ids}
        return context

    def matching_follow_ups(self, answers: Mapping[str, Any]) -> list[FollowUpRule]:
        """The follow-up rules a completed response's answers match, in the definition's order."""
        if not self.follow_up:
            return []
        context = self.follow_up_context(answers)
        return [rule for rule in self.follow_up if parse_condition(rule.when).evaluate(context)]


def _renamed(error: ValidationError, field: str, name: str) -> ValidationError:
    """`error` with the problems of `field` reported at `name`, the field's name in the input."""
    details: list[Any] = [
        dict(detail, loc=(name, *detail["loc"][1:]) if detail["loc"][:1] == (field,) else detail["loc"])
        for detail in error.errors()]
    return ValidationError.from_exception_data(error.title, details)


def _rebuild_models() -> None:
    """A question type registered after this module was imported is accepted by sections and surveys too."""
    Section.model_rebuild(force=True)
    Survey.model_rebuild(force=True)


registry.on_change(_rebuild_models)
