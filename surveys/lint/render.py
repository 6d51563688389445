"""Findings as text for a terminal or as JSON for tools and the authoring pages."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from .findings import Finding


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    counted = Counter(item.severity for item in findings)
    return {"errors": counted["error"], "warnings": counted["warning"], "info": counted["info"]}


def render_text(findings: Sequence[Finding], *, source: str = "", estimated_minutes: float | None = None,
                time_budget_minutes: float | None = None) -> str:
    """One block per finding (`source:path [question]: severity code: message`, then the suggestion) and a
    summary line."""
    prefix = f"{source}:" if source else ""
    lines: list[str] = []
    for item in findings:
        where = f"{prefix}{item.path}" + (f" [{item.question_id}]" if item.question_id else "")
        lines.append(f"{where}: {item.severity} {item.code}: {item.message}")
        lines.append(f"    suggestion: {item.suggestion}")
    counts = _counts(findings)
    summary = f"{counts['errors']} error(s), {counts['warnings']} warning(s), {counts['info']} info"
    if estimated_minutes is not None:
        summary += f"; estimated completion {estimated_minutes:.1f} min"
        if time_budget_minutes is not None:
            summary += f" (budget {time_budget_minutes:g} min)"
    lines.append(f"{prefix} {summary}".strip() if source else summary)
    return "\n".join(lines)


def render_json(findings: Sequence[Finding], *, source: str = "", estimated_minutes: float | None = None,
                time_budget_minutes: float | None = None) -> str:
    """`{"source", "summary": {errors, warnings, info, estimated_minutes, time_budget_minutes}, "findings": [...]}`,
    each finding with code, severity, path, question_id, message, suggestion."""
    summary: dict[str, float | int | None] = dict(_counts(findings))
    summary["estimated_minutes"] = None if estimated_minutes is None else round(estimated_minutes, 2)
    summary["time_budget_minutes"] = time_budget_minutes
    document = {"source": source, "summary": summary, "findings": [item.to_dict() for item in findings]}
    return json.dumps(document, indent=2, ensure_ascii=False)
