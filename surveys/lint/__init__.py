"""The survey linter: findings about wording, scales, design, conditions and length of a survey definition.

    from surveys.lint import lint_survey, Finding
    findings = lint_survey(survey)          # list[Finding], in survey order

Each `Finding` has a stable `code` (catalogue in `findings.CODES`, described in docs/linter.md), a `severity`
(error / warning / info), the definition `path` and `question_id` it concerns, a `message` and a `suggestion`.
"""

from __future__ import annotations

import re

from ..model import Survey
from .clarity import check_clarity
from .conditions import check_conditions
from .design import check_design
from .findings import CODES, SEVERITY_RANK, Finding, Severity
from .languages import check_languages, wording_view
from .render import render_json, render_text
from .scales import check_scales
from .timing import check_timing, estimate_completion_seconds, estimate_question_times
from .wording import check_wording

__all__ = [
    "CODES",
    "Finding",
    "Severity",
    "estimate_completion_seconds",
    "estimate_question_times",
    "findings_by_question",
    "has_errors",
    "lint_survey",
    "render_json",
    "render_text",
]

_POSITION = re.compile(r"^sections\[(\d+)\](?:\.questions\[(\d+)\])?")


def _order(item: Finding) -> tuple[int, int, int]:
    # survey-level findings first, then by page and question, errors before warnings before info
    match = _POSITION.match(item.path)
    if match is None:
        return (-1, -1, SEVERITY_RANK[item.severity])
    return (int(match[1]), int(match[2] or -1), SEVERITY_RANK[item.severity])


def lint_survey(survey: Survey) -> list[Finding]:
    """Every finding for a (valid) survey, survey-level ones first, then in question order."""
    english = wording_view(survey)  # the wording checks know English only (check_languages says so)
    findings = [
        *check_design(survey),
        *check_timing(survey),
        *(check_wording(english) if english is not None else ()),
        *(check_clarity(english) if english is not None else ()),
        *check_scales(survey),
        *check_conditions(survey),
        *check_languages(survey),
    ]
    return sorted(findings, key=_order)


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding is error-level (the CLI then exits 1)."""
    return any(item.severity == "error" for item in findings)


def findings_by_question(findings: list[Finding]) -> dict[str | None, list[Finding]]:
    """Findings grouped by question id (None: about the survey as a whole), for showing next to each question."""
    grouped: dict[str | None, list[Finding]] = {}
    for item in findings:
        grouped.setdefault(item.question_id, []).append(item)
    return grouped
