"""`roi.yaml`: how to read the user's outcome columns, which metrics and controls to use, the money scenario.

Every key is optional. `read_config(path)` returns a checked `RoiConfig` or raises `InvalidConfig`, whose
message names the key path in the file (e.g. `finance.margin`), in the way `surveys.definition` names paths
in a survey definition.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from surveys.definition import format_path
from surveys.errors import CxroiError, Problem

CANONICAL_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "churned",
    "tenure_months",
    "start_date",
    "end_date",
    "revenue",
    "revenue_prior",
    "account_id",
)
"""Outcome columns the analysis knows by name (DESIGN.md, "Outcomes table"); segment columns come on top."""

PRE_PERIODS = 6
"""Pre-programme periods the outcomes may carry per outcome: `churned_pre` (the period just before the
programme started), `churned_pre2` (the one before), … up to `churned_pre6` (docs/results.md, "Did the
programme pay off")."""
PROGRAMME_OUTCOMES = ("churned", "revenue")
PROGRAMME_COLUMNS: tuple[str, ...] = (
    "programme", "programme_start",
    *(f"{outcome}_{period}" for outcome in PROGRAMME_OUTCOMES
      for period in ("post", "pre", *(f"pre{k}" for k in range(2, PRE_PERIODS + 1)))),
)
"""Outcome columns of the realised-effect analysis (`roi.programme`): which customers the CX programme reached,
from when, and each outcome per period before and after its start."""
CASE_COLUMNS: tuple[str, ...] = ("case_status", "case_closed", "case_risk")
"""Outcome columns of the closed-loop comparison (`roi.case_loop`): each customer's churn-risk case as
`cxroi cases list --format csv` exports it (`status` → `case_status`, or a 0/1 `case_closed`; `risk` →
`case_risk`); blank for a customer without a case."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricConfig(_Strict):
    """How to read one candidate metric; overrides what the survey definition says, or sets it for raw columns."""

    polarity: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    label: str | None = None
    scale_min: float | None = None
    scale_max: float | None = None

    @model_validator(mode="after")
    def _scale_order(self) -> MetricConfig:
        if self.scale_min is not None and self.scale_max is not None and self.scale_max <= self.scale_min:
            raise ValueError(f"scale_max ({self.scale_max:g}) must be greater than scale_min ({self.scale_min:g})")
        return self


class ScenarioConfig(_Strict):
    """The money question: raise `metric` by `delta` points (capped at its scale's maximum) for `segment`.

    `segment` maps a segment column to the value selecting the customers, e.g. {region: north}; None is everyone.
    `population`: "respondents" (matched respondents only) or "all" (extrapolated to every customer, weighted).
    """

    metric: str | None = None
    delta: float = 1.0
    segment: dict[str, str] | None = None
    population: Literal["respondents", "all"] = "respondents"
    uncertainty: Literal["parametric", "refit"] = "parametric"
    """How the money intervals are drawn: "parametric" (coefficients from their estimated covariance, fast)
    or "refit" (customers resampled and the churn model refitted; when the metric was chosen by the analysis,
    the choice is redone in every resample, so the interval carries the selection too)."""

    @field_validator("segment", mode="before")
    @classmethod
    def _segment_values_as_text(cls, value: Any) -> Any:
        # YAML reads `{plan: 2}` as an int; segment values are compared as text.
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class FinanceConfig(_Strict):
    """What finance supplies: cost of the CX programme, gross margin, discount rate, horizon of the benefit, and
    how many years the customer lifetime value covers."""

    program_cost: float | None = Field(default=None, ge=0)
    margin: float | None = Field(default=None, gt=0, le=1)
    discount_rate: float | None = Field(default=None, ge=0, lt=1)
    horizon_years: float = Field(default=1.0, gt=0, le=50)
    lifetime_years: float = Field(default=5.0, gt=0, le=50)
    """How far ahead the survival-based customer lifetime value looks (`customer_lifetime_value`)."""
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    """The ISO 4217 code of the money in the outcomes file (USD, EUR, GBP …): the report writes its amounts in
    it. Only the symbol changes; no amount is converted."""


class WavesConfig(_Strict):
    """Results over time (`roi.over_time`): which responses form a wave, and the churn model's outcome window.

    `column`: the responses' wave column (default: `wave`, or `response_wave` as the export names it when a
    question is called `wave`). Without one, `period` (month, quarter or year) groups responses by their
    `submitted_at` into calendar periods; `none` (the default) leaves dates alone, since cutting continuous
    fieldwork at calendar boundaries is the analyst's choice, not the tool's. `adjust`: how the p-values of the
    changes between two waves are adjusted over the metrics (Holm, or Benjamini–Hochberg false-discovery rate).
    `outcome_window_start`: when the outcome window of `churned` began; the churn model then uses each customer's
    latest answer before it.
    """

    column: str | None = None
    period: Literal["none", "month", "quarter", "year"] = "none"
    adjust: Literal["holm", "bh"] = "holm"
    outcome_window_start: date | None = None


class ProgrammeConfig(_Strict):
    """The realised effect of the CX programme (`roi.programme`): `randomised` says the customers it reached
    were chosen at random (a randomised holdout), so a plain comparison identifies its effect; otherwise a
    difference-in-differences over the periods before and after its start is used. The programme's cost is
    `finance.program_cost`."""

    randomised: bool = False


class RoiConfig(_Strict):
    """The whole `roi.yaml`. `columns` maps a canonical outcome name to the user's column name."""

    columns: dict[str, str] = Field(default_factory=dict)
    revenue_period: Literal["year", "month"] = "year"
    controls: list[str] = Field(default_factory=lambda: ["tenure_months", "revenue"])
    metrics: dict[str, MetricConfig] = Field(default_factory=dict)
    segments: list[str] = Field(default_factory=list)
    scenario: ScenarioConfig = Field(default_factory=ScenarioConfig)
    finance: FinanceConfig = Field(default_factory=FinanceConfig)
    bootstrap: int = Field(default=200, ge=0, le=100_000)
    waves: WavesConfig = Field(default_factory=WavesConfig)
    programme: ProgrammeConfig = Field(default_factory=ProgrammeConfig)
    theme_method: Literal["nmf-tfidf", "embeddings"] = "nmf-tfidf"
    """How themes are found in the comments when no codebook is given (docs/themes.md): TF-IDF + NMF, or sentence
    embeddings clustered (needs the optional extra `cxroi[embeddings]`)."""
    as_of: date | None = None
    """The date the outcomes were taken: customers who have not churned are censored here (the survival time
    runs from the survey to churn or to this date). None: the latest date in the outcomes and survey dates."""

    @field_validator("columns")
    @classmethod
    def _known_canonical_names(cls, value: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for canonical, theirs in value.items():
            if canonical not in (*CANONICAL_COLUMNS, *PROGRAMME_COLUMNS, *CASE_COLUMNS):
                raise ValueError(
                    f"{canonical!r} is not a canonical outcome column; known: {', '.join(CANONICAL_COLUMNS)}"
                    f", and for the programme's effect programme, programme_start, churned_post, churned_pre, "
                    f"churned_pre2 … churned_pre{PRE_PERIODS}, revenue_post, revenue_pre … revenue_pre{PRE_PERIODS}"
                    f", and for closed cases {', '.join(CASE_COLUMNS)} (segment columns go under 'segments')"
                )
            if theirs in seen:
                raise ValueError(f"column {theirs!r} is mapped to both {seen[theirs]!r} and {canonical!r}")
            seen[theirs] = canonical
        return value

    @field_validator("controls")
    @classmethod
    def _known_controls(cls, value: list[str]) -> list[str]:
        allowed = ("tenure_months", "revenue", "revenue_prior")
        for name in value:
            if name not in allowed:
                raise ValueError(f"unknown control {name!r}; known: {', '.join(allowed)}")
        return value


class InvalidConfig(CxroiError, ValueError):
    """A `roi.yaml` that cannot be used; the message names each key path and what is wrong there."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def build_config(data: Any, *, source: str = "<roi config>") -> RoiConfig:
    """A checked RoiConfig from plain data (as parsed from YAML); None or {} gives every default."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidConfig(source, [Problem("", "the configuration must be a mapping of keys (columns, controls …)")])
    try:
        return RoiConfig.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            message = detail["msg"].removeprefix("Value error, ")
            if detail["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(Problem(format_path(detail["loc"]), message))
        raise InvalidConfig(source, problems) from None


def read_config(path: str | Path | None) -> RoiConfig:
    """Read `roi.yaml`; None gives the defaults. Raises InvalidConfig naming the file and key path."""
    if path is None:
        return RoiConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidConfig(str(path), [Problem("", f"cannot read the file: {error}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidConfig(str(path), [Problem(where, str(getattr(error, "problem", None) or error))]) from None
    return build_config(data, source=str(path))


def to_config_data(config: RoiConfig) -> dict[str, Any]:
    """Plain data of a config (for results.json `inputs.config` and for writing roi.yaml)."""
    return config.model_dump(mode="json")
