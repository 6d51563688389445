"""The authoring pages' forms. They check only what a form can (presence, length); the definition's own
validation (`build_survey`) judges the content and names the path of every problem."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from surveys.library import question_bank, template_names

IDENTIFIER = Regexp(r"^[A-Za-z][A-Za-z0-9_]*$",
                    message="start with a letter; use only letters, digits and _ (it appears in links)")


def bank_choices() -> list[tuple[str, str]]:
    """(key, title) of every library question, for select boxes."""
    return [(entry.key, f"{entry.title} ({entry.category})") for entry in question_bank()]


class NewSurveyForm(FlaskForm):
    survey_id = StringField("Survey id (used in links and file names)",
                            validators=[DataRequired(), Length(max=64), IDENTIFIER])
    title = StringField("Title respondents see", validators=[DataRequired(), Length(max=1000)])
    start = SelectField("Start from")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.start.choices = [("blank", "A blank survey (one open question)")] + [
            (name, f"Template: {name.replace('_', ' ')}") for name in template_names()]


class AddQuestionForm(FlaskForm):
    key = HiddenField(validators=[DataRequired()])
    section = SelectField("Add to page")


class QuestionForm(FlaskForm):
    text = TextAreaField("Question text", validators=[Length(max=1000)])
    help = TextAreaField("Help text under the question (optional)", validators=[Length(max=2000)])
    required = BooleanField("An answer is required")
    show_if = StringField("Show only if (optional condition, e.g. q_ces <= 4)", validators=[Length(max=1000)])
    settings = TextAreaField("Settings of this question type (YAML)", validators=[Length(max=20000)])


class SectionForm(FlaskForm):
    title = StringField("Page title", validators=[DataRequired(), Length(max=1000)])
    intro = TextAreaField("Introduction (optional)", validators=[Length(max=2000)])


class NewSectionForm(FlaskForm):
    section_id = StringField("Page id", validators=[DataRequired(), Length(max=64), IDENTIFIER])
    title = StringField("Page title", validators=[DataRequired(), Length(max=1000)])
    first_key = SelectField("First question on the page")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.first_key.choices = bank_choices()


class RowsForm(FlaskForm):
    brand_promises = TextAreaField("Brand promises, one per line as id: label", validators=[Length(max=20000)])
    touchpoints = TextAreaField("Touchpoints, one per line as id: label", validators=[Length(max=20000)])
    channels = TextAreaField("Channels, one per line as id: label", validators=[Length(max=20000)])


class SurveySettingsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=1000)])
    intro = TextAreaField("Introduction on the first page (optional)", validators=[Length(max=5000)])
    language = StringField("Language code (e.g. en, de, pt-BR)", validators=[Length(max=20)])
    customer_id_param = StringField("Public-link parameter carrying a customer id (optional)",
                                    validators=[Length(max=64)])
    time_budget_minutes = StringField("Longest acceptable completion time, in minutes",
                                      validators=[Optional(), Length(max=10)])


class UploadForm(FlaskForm):
    definition = FileField("Definition file (.yaml, .yml, .json or .xlsx XLSForm)", validators=[FileRequired()])
    skip_unsupported = BooleanField("XLSForm: leave out what cxroi cannot represent (listed before anything is saved)")


class ConfirmUploadForm(FlaskForm):
    """The second step of an XLSForm upload with `skip_unsupported`: the imported definition travels back as JSON
    and is checked again before it is saved (nothing is stored before this POST)."""

    definition = HiddenField(validators=[DataRequired()])
    name = HiddenField()


class CustomersForm(FlaskForm):
    customers = FileField("Customer list (CSV with a customer_id column, or ids in the first column)",
                          validators=[FileRequired()])
    channel = SelectField("Channel the links are sent through", validate_choice=False)


class ConfirmLinksForm(FlaskForm):
    """The second step: the previewed ids travel back in the form, so nothing is stored before this POST."""

    customer_ids = HiddenField(validators=[DataRequired()])
    channel = HiddenField()
