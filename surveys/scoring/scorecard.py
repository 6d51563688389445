"""The result of scoring: one `MetricScore` per estimate, grouped in a frozen `Scorecard`."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import pandas as pd

Group = Literal["overall", "items", "promises", "touchpoints", "channels"]
GROUPS: tuple[Group, ...] = ("overall", "items", "promises", "touchpoints", "channels")


@dataclass(frozen=True)
class MetricScore:
    """One estimate with its sample size and 95% interval.

    `estimate`, `ci_low` and `ci_high` are None (never NaN) when the data cannot give them; `note` then says
    why. `unit` says how to read the numbers: "%" (0–100 share), "NPS" (−100..100), "0–100" (BAS),
    "1–7"-style scale ranges for means, "touchpoints" or "points" (a difference on the channel scale).
    """

    name: str
    label: str
    kind: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    method: str
    note: str | None = None
    unit: str = ""
    question_id: str = ""
    row: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data; floats are finite or None."""
        data = asdict(self)
        for key in ("estimate", "ci_low", "ci_high"):
            value = data[key]
            data[key] = None if value is None or not math.isfinite(value) else float(value)
        return data


@dataclass(frozen=True)
class Scorecard:
    """Every metric of one survey's responses.

    Groups: `overall` (NPS, CSAT, CES, overall BAS, friction per respondent, channel consistency),
    `items` (rating, likert and number questions), `promises` (BAS per brand promise), `touchpoints`
    (friction rate per touchpoint) and `channels` (mean rating per channel).
    """

    survey_id: str
    responses_total: int
    responses_scored: int
    include_partial: bool
    overall: tuple[MetricScore, ...] = ()
    items: tuple[MetricScore, ...] = ()
    promises: tuple[MetricScore, ...] = ()
    touchpoints: tuple[MetricScore, ...] = ()
    channels: tuple[MetricScore, ...] = ()

    def metrics(self) -> Iterator[tuple[Group, MetricScore]]:
        """(group, metric) for every metric, groups in their fixed order."""
        for group in GROUPS:
            for metric in getattr(self, group):
                yield group, metric

    def get(self, name: str) -> MetricScore:
        """The metric called `name` (names are unique across groups); KeyError when there is none."""
        for _, metric in self.metrics():
            if metric.name == name:
                return metric
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data: counts, then one list of metric dicts per group."""
        data: dict[str, Any] = {
            "survey_id": self.survey_id,
            "responses": {
                "total": self.responses_total,
                "scored": self.responses_scored,
                "statuses_scored": ["complete", "partial"] if self.include_partial else ["complete"],
            },
        }
        for group in GROUPS:
            data[group] = [metric.to_dict() for metric in getattr(self, group)]
        return data

    def to_frame(self) -> pd.DataFrame:
        """One row per metric, with a `group` column first; missing values are None/NaN."""
        columns = ["group", *(f.name for f in fields(MetricScore))]
        rows = [{"group": group, **metric.to_dict()} for group, metric in self.metrics()]
        return pd.DataFrame(rows, columns=columns)
