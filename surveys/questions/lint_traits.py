"""What a question type declares for the linter (surveys/lint) and its condition checks alone.

`QuestionBase` takes these from `LintTraits`, each with the default of a plain question; a type overrides them
in its own class, like everything else it declares (docs/question-types.md). Nothing outside the linter reads
them, so base.py keeps to what every part of the package asks of a question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..model import Survey
    from .base import Choice, Scale


class LintTraits:
    """The linter's view of a question: how it is answered and read, and what its worst answer is."""

    if TYPE_CHECKING:  # declared by QuestionBase
        id: str
        text: str
        help: str | None

        def scale_range(self) -> tuple[int, int] | None: ...
        def own_choices(self) -> list[Choice]: ...

    rated: ClassVar[bool] = False
    """Answered on a rating scale, so a low answer deserves a "why?" follow-up."""
    agreement: ClassVar[bool] = False
    """Answered on an agree–disagree scale, so its wording should be a statement."""
    baseline: ClassVar[bool] = False
    """A baseline metric (NPS, CSAT): kept for comparison, not for diagnosis."""
    outcome: ClassVar[bool] = False
    """Measures the experience itself (effort, alignment, satisfaction, ratings), beyond likelihood to recommend."""
    single_judgement: ClassVar[bool] = False
    """One answer judges everything the text names (one choice, one scale point, a yes/no per row), so a text
    that names two things is double-barrelled; open text, numbers and multi-choice answers can cover several."""
    answer_seconds: ClassVar[float] = 5.0
    """Seconds to answer once the question is read (per row for a grid), for the linter's time estimate."""

    def reading_texts(self, survey: Survey) -> list[str]:
        """Every text a respondent reads to answer (for the reading-time estimate)."""
        return [self.text, self.help or ""]

    def answering_seconds(self, survey: Survey) -> float:
        """Seconds to answer once read: `answer_seconds`, per row for a grid."""
        return self.answer_seconds

    def possible_values(self, row: str | None) -> list[Any] | None:
        """Every value a condition can read in this question (or one of its rows), None meaning unanswered;
        None when they cannot be listed (numbers, free text)."""
        return None

    def asks_why(self) -> bool:
        """Whether the question asks for the reason behind a low answer itself (a friction follow-up)."""
        return False

    def own_scale(self) -> Scale | None:
        """The scale written in the definition's `scale` field (rating, channel rating), which the linter checks
        for labels and balance; None when the type fixes its scale (Likert, CSAT, CES, NPS, alignment) or has none."""
        return None

    def own_texts(self) -> list[tuple[str, str]]:
        """(field path within the question, text) of every text beyond `text` and `help` that the definition
        gives respondents to read: its choice labels, its own scale's labels, a follow-up prompt."""
        texts = [(f"choices[{index}].label", choice.label) for index, choice in enumerate(self.own_choices())]
        scale = self.own_scale()
        if scale is not None:
            texts += [(f"scale.{field}", label) for field, label in (("min_label", scale.min_label),
                                                                     ("max_label", scale.max_label)) if label]
            texts += [(f"scale.labels[{index}]", label) for index, label in enumerate(scale.labels or ())]
        return texts

    def worst_answer(self, survey: Survey) -> Any:
        """The least favourable answer (a whole grid at its worst), or None for a question that is not rated."""
        return None

    def low_answer_condition(self, survey: Survey) -> str:
        """A show_if that is true after a low answer, for a suggested "why?" follow-up."""
        low, high = self.scale_range() or (1, 5)
        return f"{self.id} <= {(low + high) // 2}"
