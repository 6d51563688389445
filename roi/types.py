"""The shapes every analysis shares: candidate metrics, the joined analysis data, warnings.

The data contract is checked once, when `roi.data` builds an `AnalysisData`; analysis functions then take
it (or its DataFrame) and keyword options, and return frozen results without mutating their input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:
    from surveys.model import Survey

Polarity = Literal["higher_is_better", "lower_is_better"]
WarningCode = Literal[
    "separation",
    "leakage",
    "wrong_sign",
    "no_effect",
    "small_sample",
    "low_match",
    "collinearity",
    "nonresponse_bias",
    "non_convergence",
    "parallel_trends",
    "not_identified",
    "no_definition",
    "miscalibration",
    "non_proportional_hazards",
    "non_linear",
    "not_comparable",
]
WARNING_CODES: tuple[str, ...] = WarningCode.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Metric:
    """A candidate predictor: a column of `AnalysisData.frame` and how to read it.

    `family` says what kind of measure it is: bas, ces, csat, nps, likert, rating, alignment_item,
    friction_item, friction_count, channel_item, sentiment or raw (a numeric column without a definition).
    """

    name: str
    column: str
    polarity: Polarity = "higher_is_better"
    scale: tuple[float, float] | None = None
    family: str = "raw"
    label: str | None = None

    @property
    def display(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class RoiWarning:
    """Something the data cannot support, said in plain words. `subject` names the column or metric."""

    code: WarningCode
    subject: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "subject": self.subject, "message": self.message}


@dataclass(frozen=True)
class JoinReport:
    respondents: int
    customers: int
    matched: int
    unmatched_respondent_ids: tuple[str, ...] = ()
    """A sample (at most 20) of respondents' customer ids that have no outcome row."""

    @property
    def match_rate(self) -> float:
        return self.matched / self.respondents if self.respondents else 0.0


@dataclass(frozen=True)
class AnalysisData:
    """Validated, joined inputs for every analysis.

    `frame`: one row per matched respondent (customer), with the canonical outcome columns present in the
    outcomes (customer_id, churned, tenure_months, duration_months, revenue, revenue_prior, account_id,
    segment columns) and one column per metric (`Metric.column`).
    `customers`: every outcome row, with a boolean `responded` column, for non-response analysis.
    `metrics`: candidate metrics (summary scores and items); `items`: the subset used for driver analysis.
    `controls`: canonical control columns present in `frame`.
    `text_columns`: open-text answer columns kept in `frame` for sentiment.
    `dropped`: rows dropped while loading, by reason, for the data-quality report.
    """

    frame: pd.DataFrame
    customers: pd.DataFrame
    metrics: tuple[Metric, ...]
    items: tuple[Metric, ...]
    controls: tuple[str, ...]
    join: JoinReport
    text_columns: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    revenue_period: Literal["year", "month"] = "year"
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: tuple[RoiWarning, ...] = ()
    history: pd.DataFrame | None = None
    """Every response as read (text cells, before each customer's latest is picked), for the results by wave
    (`roi.over_time`); None when not given."""
    survey: Survey | None = None
    programme: pd.DataFrame | None = None
    """The checked programme columns of the outcomes (`roi.inputs.programme`), one row per customer; None without
    a `programme` column."""

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(name)
