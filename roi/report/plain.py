"""The analysis' own sentences (warning messages, notes, assumptions) with its column names in words.

The analysis writes `Survival model for bas (Brand Alignment Score): the effect of log_revenue …` and
`tenure_months is read as …`; a finance reader gets `Survival model for Brand Alignment Score: the effect of
ln(1 + revenue) …` and `Tenure at the survey (months) is read as …`. Only names the results themselves define
are replaced (the metrics and their labels, the comment themes' columns, the analysis' control columns), so
ordinary words are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .reading import first_text, records
from .summary import COLUMN_LABELS

CONTROL_COLUMNS = ("log_revenue_prior", "log_revenue", "tenure_months", "revenue_prior")
"""The analysis' own columns that appear in its sentences; their words come from COLUMN_LABELS."""


def _names(results: Mapping[str, Any]) -> dict[str, str]:
    """name → label for every name the results define a label for."""
    names: dict[str, str] = {}
    for metric in (*records(results, "metrics"), *records(results, "metric_comparison.metrics")):
        name = metric.get("name") or metric.get("metric")
        label = first_text(metric, "label")
        if isinstance(name, str) and name and label and name not in names:
            names[name] = label
    for theme in records(results, "themes.themes"):
        column, label = theme.get("column"), first_text(theme, "name")
        if isinstance(column, str) and column and label:
            names[column] = f"comment theme “{label}”"
    for column in CONTROL_COLUMNS:
        names.setdefault(column, COLUMN_LABELS[column])
    return names


def _bare(name: str, label: str) -> bool:
    """Whether a name may be replaced where it stands alone: an identifier (`q_align.reliable`,
    `log_revenue`) or a short code that is not a word of its own label (`bas`, not `sentiment`)."""
    return "_" in name or "." in name or name.lower() not in re.findall(r"\w+", label.lower())


def in_words(results: Mapping[str, Any], text: Any) -> str:
    """`text` with the results' names replaced by their labels: "name (Label)" becomes "Label", and a name
    standing alone becomes its label (see `_bare`). Column words start with a capital only where a sentence
    starts; metric labels are names and keep their capitals."""
    out = str(text)
    names = _names(results)

    def word(label: str, lower: bool) -> Any:
        def replace(match: re.Match[str]) -> str:
            starts = match.start() == 0 or match.string[:match.start()].rstrip().endswith(".")
            if starts:
                return label[:1].upper() + label[1:]
            return label[:1].lower() + label[1:] if lower else label
        return replace

    for name in sorted(names, key=len, reverse=True):
        label, lower = names[name], name in CONTROL_COLUMNS or name.startswith("theme.")
        edge = r"(?<![\w.])" + re.escape(name)
        out = re.sub(edge + r" \(" + re.escape(label) + r"\)", word(label, lower), out)
        if _bare(name, label):
            out = re.sub(edge + r"(?!\w)(?!\.\w)", word(label, lower), out)
    return out
