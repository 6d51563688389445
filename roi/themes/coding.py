"""Coding comments with a codebook: each comment's themes (0/1), its language and its sentiment.

Deterministic: the comments are placed in the codebook's stored term space, their weights on the stored
components are found with the components held fixed (scikit-learn's `non_negative_factorization` with
`update_H=False`: coordinate descent from zero, no randomness), and the rules of `roi.themes.codebook` are
applied. The same codebook and comments give the same coding on every run.

Sentiment is VADER's compound score (`roi.sentiment.score_comments`) for comments in English only; a comment
in another language (`roi.themes.language`) has sentiment "not available" (NaN, status `not_available`), not
a neutral 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import non_negative_factorization

from ..sentiment import score_comments
from .codebook import Codebook, Theme
from .language import ENGLISH, detect_languages

THEME_PREFIX = "theme."
"""Column of a theme in exports and coded frames: `theme.<id>`."""
SOLVE_ITERATIONS = 200


def theme_column(theme_id: str) -> str:
    return f"{THEME_PREFIX}{theme_id}"


def fold(text: str) -> str:
    """Lower case without accents, so keyword rules match 'Téléphone' with 'telephone'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _rule_pattern(rules: Sequence[str]) -> re.Pattern[str] | None:
    if not rules:
        return None
    alternatives = sorted({re.escape(fold(rule)) for rule in rules}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _matches(folded: list[str], rules: Sequence[str]) -> np.ndarray:
    pattern = _rule_pattern(rules)
    if pattern is None:
        return np.zeros(len(folded), dtype=bool)
    return np.fromiter((pattern.search(text) is not None for text in folded), dtype=bool, count=len(folded))


def component_weights(codebook: Codebook, texts: Sequence[str]) -> np.ndarray:
    """W: each comment's weight on each stored component (rows of zeros without a known term)."""
    components = codebook.components_matrix()
    if components.shape[0] == 0 or len(texts) == 0:
        return np.zeros((len(texts), components.shape[0]))
    rows = codebook.space().rows(texts)
    weights, _, _ = non_negative_factorization(rows, H=components, n_components=components.shape[0],
                                               update_H=False, solver="cd", max_iter=SOLVE_ITERATIONS,
                                               tol=1e-6, init=None)
    return np.asarray(weights, dtype=float)


def theme_shares(codebook: Codebook, weights: np.ndarray) -> np.ndarray:
    """Share of each comment's component weight that each theme's components carry (0 without weight)."""
    total = weights.sum(axis=1)
    shares = np.zeros((len(weights), len(codebook.themes)))
    for j, theme in enumerate(codebook.themes):
        if theme.components:
            shares[:, j] = weights[:, list(theme.components)].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total[:, None] > 0, shares / total[:, None], 0.0)


@dataclass(frozen=True)
class CodedComments:
    """The coding of `n` comments: themes (0/1 and shares), language, sentiment.

    `sentiment_status` per comment: "scored" (English; `sentiment` is VADER's compound), "not_available"
    (another language; `sentiment` is NaN), "blank" (no comment) or "not_scored" (coded without sentiment).
    """

    themes: tuple[Theme, ...]
    indicators: np.ndarray
    shares: np.ndarray
    language: tuple[str | None, ...]
    sentiment: np.ndarray
    sentiment_status: tuple[str, ...]
    codebook_version: int

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    def dominant(self) -> list[str | None]:
        """The theme with the largest share among those a comment belongs to (a keyword-only theme counts
        when no component theme applies); None for a comment without a theme."""
        out: list[str | None] = []
        ranking = self.shares + self.indicators * 1e-9  # keyword-only themes break ties only
        for row, present in zip(ranking, self.indicators, strict=True):
            if not present.any():
                out.append(None)
            else:
                out.append(self.themes[int(np.argmax(np.where(present > 0, row, -1.0)))].id)
        return out

    def to_frame(self, index: Any = None) -> pd.DataFrame:
        """One row per comment: `theme.<id>` 0/1 columns, `language`, `sentiment`, `sentiment_status`."""
        frame = pd.DataFrame(self.indicators.astype("int8"), columns=[theme_column(t) for t in self.theme_ids],
                             index=index)
        frame["language"] = list(self.language)
        frame["sentiment"] = self.sentiment
        frame["sentiment_status"] = list(self.sentiment_status)
        return frame


def code_comments(codebook: Codebook, texts: Sequence[Any], *, languages: Sequence[Any] | None = None,
                  fallback_language: str = ENGLISH, sentiment: bool = True) -> CodedComments:
    """Code each comment (blank ones get no theme and status "blank").

    `languages` gives the language each response was answered in, where known (None elsewhere);
    `fallback_language` is the survey's language, used for comments too short to identify. With
    `sentiment=False` only the themes are coded (language None, status "not_scored"): discovery's summaries
    need no more, and language and sentiment are the slower half of coding.
    """
    cleaned = ["" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v).strip()
               for v in texts]
    present = np.array([bool(t) for t in cleaned], dtype=bool)
    indicators = np.zeros((len(cleaned), len(codebook.themes)), dtype=np.int8)
    shares = np.zeros((len(cleaned), len(codebook.themes)))
    written = [t for t in cleaned if t]
    if written and codebook.themes:
        weights = component_weights(codebook, written)
        written_shares = theme_shares(codebook, weights)
        folded = [fold(t) for t in written]
        coded = np.zeros_like(written_shares, dtype=bool)
        for j, theme in enumerate(codebook.themes):
            member = (written_shares[:, j] >= codebook.method.min_share) if theme.components else \
                np.zeros(len(written), dtype=bool)
            member |= _matches(folded, theme.keywords)
            member &= ~_matches(folded, theme.exclude)
            coded[:, j] = member
        indicators[present] = coded.astype(np.int8)
        shares[present] = written_shares
    language: list[str | None] = [None] * len(cleaned)
    if not sentiment:
        return CodedComments(codebook.themes, indicators, shares, tuple(language), np.full(len(cleaned), np.nan),
                             tuple("not_scored" if p else "blank" for p in present), codebook.version)
    known = [languages[int(i)] for i in np.flatnonzero(present)] if languages is not None else None
    for i, found in zip(np.flatnonzero(present), detect_languages(written, known=known,
                                                                  fallback=fallback_language), strict=True):
        language[int(i)] = found
    english = np.array([lang == ENGLISH for lang in language], dtype=bool)
    scores = np.full(len(cleaned), np.nan)
    if english.any():
        scores[english] = score_comments(pd.Series([cleaned[i] for i in np.flatnonzero(english)],
                                                      dtype=object)).to_numpy(dtype=float)
    status = tuple("blank" if not p else "scored" if e else "not_available"
                   for p, e in zip(present, english, strict=True))
    return CodedComments(codebook.themes, indicators, shares, tuple(language), scores, status, codebook.version)


def representative_comments(texts: Sequence[str], coded: CodedComments, theme_id: str, *,
                            count: int = 5) -> list[str]:
    """Up to `count` distinct comments of a theme, those where its share is largest first (keyword-only
    themes: in the order written)."""
    j = coded.theme_ids.index(theme_id)
    members = np.flatnonzero(coded.indicators[:, j] > 0)
    order = members[np.argsort(-coded.shares[members, j], kind="stable")]
    chosen: list[str] = []
    for i in order:
        text = str(texts[int(i)])
        if text not in chosen:
            chosen.append(text)
        if len(chosen) == count:
            break
    return chosen
