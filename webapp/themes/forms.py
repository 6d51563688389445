"""The codebook editor's forms. Each carries the codebook version it was shown with (`based_on`), so a change
made on a page that another author has since changed is refused (409) instead of overwriting theirs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

RULES_HINT = "Comma-separated words or phrases, matched as whole words in any case and without accents."


def split_rules(text: str | None) -> list[str]:
    """'talk to a person, human ,' → ['talk to a person', 'human']."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _rules_length(form: FlaskForm, field: StringField) -> None:
    if any(len(rule) > 200 for rule in split_rules(field.data)):
        raise ValidationError("each word or phrase may have at most 200 characters")


class _Versioned(FlaskForm):
    based_on = HiddenField()


class DiscoverForm(_Versioned):
    themes = IntegerField("Number of themes to look for", default=8,
                          validators=[DataRequired(), NumberRange(min=2, max=30)])
    seed = IntegerField("Seed (the same seed finds the same themes)", default=0,
                        validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


class RenameForm(_Versioned):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])


class RulesForm(_Versioned):
    keywords = StringField("Also code comments mentioning", validators=[Length(max=5000), _rules_length])
    exclude = StringField("Never code comments mentioning", validators=[Length(max=5000), _rules_length])


class SplitForm(_Versioned):
    name = StringField("Name of the new theme", validators=[DataRequired(), Length(max=200)])
    keywords = StringField("Move the comments mentioning", validators=[DataRequired(), Length(max=5000),
                                                                        _rules_length])


class DeleteForm(_Versioned):
    pass


class AddThemeForm(_Versioned):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    keywords = StringField("Code comments mentioning", validators=[DataRequired(), Length(max=5000),
                                                                   _rules_length])


class MergeForm(_Versioned):
    themes = SelectMultipleField("Themes to merge", widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), validate_choice=True)
    name = StringField("Name of the merged theme", validators=[DataRequired(), Length(max=200)])

    def validate_themes(self, field: SelectMultipleField) -> None:
        if len(field.data or []) < 2:
            raise ValidationError("choose at least two themes")


class ImportForm(_Versioned):
    file = FileField("Codebook file (.yaml)", validators=[FileRequired("choose a codebook file")])
