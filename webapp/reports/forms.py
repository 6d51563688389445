"""The report request form: survey, outcomes file, column mapping, finance assumptions and scenario.

The form checks what a form can (numbers, ranges, lengths); `roi.config.build_config` judges the settings
and `roi`'s loader judges the file, each naming what is wrong.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FloatField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

COLUMN_FIELDS = ("customer_id", "churned", "tenure_months", "revenue", "revenue_prior", "start_date", "end_date",
                 "account_id")
"""Canonical outcome columns (DESIGN.md) the form lets the user map to their own column names."""
NAME = [Optional(), Length(max=200)]

try:  # WTForms 3.3 wants SelectChoice objects; older 3.x takes (value, label) pairs
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - depends on the installed WTForms
    SelectChoice = None


def choices(pairs: list[tuple[str, str]]) -> list[Any]:
    """Select options in the form the installed WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs] if SelectChoice else pairs


def _column(label: str) -> StringField:
    return StringField(label, validators=NAME)


class ReportForm(FlaskForm):
    survey = SelectField("Survey whose responses to analyse")
    outcomes = FileField("Outcomes file (.csv, .xlsx or .parquet; one row per customer)")
    """Required, unless the form came back with a problem and kept the file sent then (`kept_outcomes`)."""
    kept_outcomes = HiddenField()

    customer_id = _column("Customer id")
    churned = _column("Churned (0 or 1)")
    tenure_months = _column("Tenure at the survey, in months")
    revenue = _column("Revenue")
    revenue_prior = _column("Revenue of the period before")
    start_date = _column("Start date")
    end_date = _column("End date")
    account_id = _column("Account id (customers of one account are analysed as a cluster)")
    revenue_period = SelectField("Revenue is per", choices=choices([("year", "year"), ("month", "month")]), default="year")
    segments = StringField("Segment columns (comma-separated, optional)", validators=[Optional(), Length(max=1000)])

    currency = StringField("Currency of the amounts (ISO code such as USD, EUR, GBP)", default="USD",
                           validators=[Optional(), Regexp(r"^[A-Za-z]{3}$", message="give a three-letter ISO code, "
                                                                                    "such as EUR")])
    program_cost = FloatField("Programme cost (money, optional)", validators=[Optional(), NumberRange(min=0)])
    margin = FloatField("Gross margin (a share between 0 and 1, optional)",
                        validators=[Optional(), NumberRange(min=0.0001, max=1)])
    discount_rate = FloatField("Discount rate per year (0 to 0.99, optional)",
                               validators=[Optional(), NumberRange(min=0, max=0.99)])
    horizon_years = FloatField("Horizon of the benefit in years", default=1.0,
                               validators=[Optional(), NumberRange(min=0.1, max=50)])

    scenario_metric = StringField("Metric to raise (optional; blank: the best predictor of churn)",
                                  validators=[Optional(), Length(max=200)])
    delta = FloatField("Raise it by (Δ, points on its scale)", default=1.0,
                       validators=[Optional(), NumberRange(min=-1000, max=1000)])
    segment_column = StringField("For the segment whose column", validators=NAME)
    segment_value = StringField("equals (leave both blank for every customer)", validators=NAME)
    population = SelectField("Who the money is counted for", default="respondents", choices=choices([
        ("respondents", "matched respondents only"), ("all", "every customer (extrapolated, weighted)")]))
    bootstrap = IntegerField("Bootstrap replicates for the intervals", default=200,
                             validators=[Optional(), NumberRange(min=0, max=5000)])

    def validate_segment_value(self, field: StringField) -> None:
        if bool((self.segment_column.data or "").strip()) != bool((field.data or "").strip()):
            raise ValidationError("give both the segment column and its value, or neither")

    def column_fields(self) -> list[Any]:
        return [getattr(self, name) for name in COLUMN_FIELDS]

    def to_config_data(self) -> dict[str, Any]:
        """The roi.yaml data (roi.config) these answers stand for; blank fields keep the defaults."""
        columns = {name: value.strip() for name in COLUMN_FIELDS if (value := getattr(self, name).data or "").strip()}
        segments = [s.strip() for s in (self.segments.data or "").split(",") if s.strip()]
        scenario: dict[str, Any] = {"population": self.population.data}
        if (self.scenario_metric.data or "").strip():
            scenario["metric"] = self.scenario_metric.data.strip()
        if self.delta.data is not None:
            scenario["delta"] = self.delta.data
        if (self.segment_column.data or "").strip():
            column = self.segment_column.data.strip()
            scenario["segment"] = {column: (self.segment_value.data or "").strip()}
            if column not in segments:
                segments.append(column)  # the scenario's segment must be read from the file
        finance = {key: getattr(self, key).data for key in ("program_cost", "margin", "discount_rate",
                                                            "horizon_years") if getattr(self, key).data is not None}
        if (self.currency.data or "").strip():
            finance["currency"] = self.currency.data.strip().upper()
        data: dict[str, Any] = {"columns": columns, "revenue_period": self.revenue_period.data, "segments": segments,
                                "scenario": scenario, "finance": finance}
        if self.bootstrap.data is not None:
            data["bootstrap"] = self.bootstrap.data
        return data


class ShareForm(FlaskForm):
    """A link to a finished report for someone without an account (`webapp.services.sharing`)."""

    days = IntegerField("Link expires after (days, 1 to 90)", default=30, validators=[
        InputRequired(message="give a number of days from 1 to 90"),
        NumberRange(min=1, max=90, message="give a number of days from 1 to 90")])
    label = StringField("Shared with (for your list of links; optional)", validators=[Optional(), Length(max=200)])


class ScheduleForm(FlaskForm):
    """A monthly mailing of the report made again (`webapp.services.report_schedules`)."""

    day_of_month = IntegerField("Day of the month (1 to 28)", default=1, validators=[
        InputRequired(message="give a day from 1 to 28"),
        NumberRange(min=1, max=28, message="give a day from 1 to 28, so that every month has it")])
    recipients = TextAreaField("E-mail addresses (one a line)", validators=[
        InputRequired(message="give at least one e-mail address"), Length(max=20000)])
    delivery = RadioField("Send", default="pdf", choices=choices([
        ("pdf", "the PDF, attached"), ("link", "a link to the report (valid 30 days), one for each address")]))

    def validate_recipients(self, field: TextAreaField) -> None:
        from ..services.report_schedules import ScheduleError, read_recipients

        try:
            read_recipients(field.data or "")
        except ScheduleError as error:
            raise ValidationError(str(error).removeprefix("addresses").lstrip(":, ")) from None


class ConfirmForm(FlaskForm):
    """A button that changes something (revoke a link, stop a schedule): only its CSRF token."""
