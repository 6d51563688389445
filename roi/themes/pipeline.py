"""The themes step of the ROI analysis: code each analysed customer's comment and estimate what each theme
costs (`roi.themes.impact`), with a saved codebook or, without one, with themes discovered on the spot."""

from __future__ import annotations

from typing import Any

from ..types import AnalysisData
from .codebook import Codebook, codebook_data
from .coding import code_comments, representative_comments
from .discovery import DEFAULT_THEMES, TooFewComments, discover_themes
from .impact import ThemeImpact, estimate_theme_impact
from .language import ENGLISH
from .space import comment_texts

EXAMPLES = 3
"""Comments quoted per theme in results.json."""


def analyse_themes(data: AnalysisData, *, seed: int, replicates: int = 200, codebook: Codebook | None = None,
                   themes: int = DEFAULT_THEMES, fallback_language: str = ENGLISH,
                   method: str = "nmf-tfidf") -> ThemeImpact | None:
    """Themes of the analysed customers' comments and their cost; None when the data have no open text.

    With `codebook` the comments are coded with it; otherwise themes are discovered (seeded by `seed`) and
    the codebook found is described in the result (`codebook.source` "discovered"), found by `method`
    (`roi.themes.discovery.METHODS`; "embeddings" needs the optional extra).
    """
    if not data.text_columns:
        return None
    texts = list(comment_texts(data.frame, data.text_columns))
    source = "given"
    if codebook is None:
        try:
            codebook = discover_themes(texts, themes=themes, seed=seed, method=method).codebook
        except TooFewComments as error:
            return ThemeImpact(len(texts), sum(1 for t in texts if t), {"source": "none"}, (), None, None, (),
                               data.revenue_period, (), (f"no themes: {error}",))
        source = "discovered"
    coded = code_comments(codebook, texts, fallback_language=fallback_language)
    examples = [representative_comments(texts, coded, theme.id, count=EXAMPLES) for theme in codebook.themes]
    described: dict[str, Any] = {"source": source, "version": codebook.version, "survey": codebook.survey,
                                 "method": codebook_data(codebook)["method"], "themes": len(codebook.themes)}
    return estimate_theme_impact(data, coded, texts, seed=seed, replicates=replicates, codebook=described,
                                 examples=examples)
