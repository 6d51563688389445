"""The finding record every lint check returns, and the catalogue of codes with their severity."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

CODES: dict[str, Severity] = {
    # wording
    "double_barrelled": "warning",
    "leading_wording": "warning",
    "double_negative": "warning",
    "negated_statement": "info",
    "question_on_agreement_scale": "warning",
    "jargon": "warning",
    "long_question": "warning",
    "vague_question": "warning",
    "yes_no_on_agreement_scale": "warning",
    "statement_not_question": "warning",
    # scales and choice lists
    "unlabelled_scale": "warning",
    "unbalanced_scale": "warning",
    "no_midpoint": "info",
    "duplicate_choice_label": "error",
    "randomised_scale": "warning",
    # survey design
    "nps_only_outcome": "error",
    "no_outcome_measure": "warning",
    "no_customer_link": "warning",
    "no_low_score_follow_up": "warning",
    "too_many_questions": "warning",
    "long_grid": "warning",
    "long_ranking": "warning",
    "required_open_question": "info",
    # show_if conditions
    "same_page_condition": "warning",
    "never_shown": "error",
    # length
    "over_time_budget": "warning",
    # languages
    "missing_translation": "warning",  # respondents read the default language's text (docs/linter.md)
    "wording_not_checked": "info",
}
"""Every finding code and its severity; docs/linter.md describes each one."""


@dataclass(frozen=True)
class Finding:
    """One problem the linter found in a survey definition.

    `path` is the definition path (`sections[0].questions[2].text`, or a survey field such as
    `customer_id_param`); `question_id` names the question when the finding concerns one, so the authoring
    page can show it next to that question.
    """

    code: str
    severity: Severity
    path: str
    question_id: str | None
    message: str
    suggestion: str
    rewrites: tuple[str, ...] = ()
    """The corrected text for `path` when the linter knows one that is right (not an example): one text replaces
    it (a neutral wording, a statement for an agreement scale); two split a double-barrelled question into two
    questions, one text each. Empty when no rewrite is offered. The authoring page's "Apply" uses it."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: code, severity, path, question_id, message, suggestion, rewrites (a list)."""
        return asdict(self) | {"rewrites": list(self.rewrites)}


def finding(code: str, path: str, question_id: str | None, message: str, suggestion: str,
            rewrites: tuple[str, ...] = ()) -> Finding:
    """A Finding whose severity comes from the one catalogue, so a code never changes severity by accident."""
    return Finding(code, CODES[code], path, question_id, message, suggestion, rewrites)
