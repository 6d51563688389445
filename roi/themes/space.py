"""The term space themes live in: a fixed vocabulary with its inverse document frequencies, and the TF-IDF
rows of comments in it.

Discovery fits the space once (scikit-learn's `TfidfVectorizer`: English stop words removed, accents
stripped, sublinear term frequency, rows scaled to unit length) and the codebook stores it — vocabulary and
idf — so that comments of a later wave are placed in exactly the same space. `TermSpace.rows` recomputes the
TF-IDF rows from counts with the stored numbers (the formula `TfidfTransformer` applies: 1 + ln(tf), times
idf, l2-normalised), so recoding never refits anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

MAX_TERMS = 5000
"""At most this many terms (the most frequent) make the vocabulary."""
MAX_DOCUMENT_SHARE = 0.6
"""A term in more than this share of the comments says nothing about a theme ("service", "the")."""
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
"""Words of two or more letters; numbers and order ids say nothing about a theme."""


@dataclass(frozen=True)
class TermSpace:
    """A vocabulary (column order) and the idf of each term."""

    terms: tuple[str, ...]
    idf: np.ndarray

    def _counter(self) -> CountVectorizer:
        return CountVectorizer(vocabulary=list(self.terms), token_pattern=TOKEN_PATTERN, strip_accents="unicode",
                               lowercase=True)

    def rows(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows (unit length; all zero for a comment without a known term) of `texts`."""
        counts = self._counter().transform(list(texts)).astype(float).tocsr()
        counts.data = 1.0 + np.log(counts.data)
        weighted = counts @ sp.diags(self.idf)
        return normalize(sp.csr_matrix(weighted), norm="l2", copy=False)


def fit_space(texts: Sequence[str]) -> tuple[TermSpace, sp.csr_matrix]:
    """Fit the term space on `texts` and return it with their TF-IDF rows.

    A term must occur in at least two comments (one when there are fewer than ten) and in at most 60% of
    them; at most `MAX_TERMS` terms are kept. Raises ValueError when no term is left.
    """
    vectorizer = TfidfVectorizer(token_pattern=TOKEN_PATTERN, strip_accents="unicode", lowercase=True,
                                 stop_words="english", sublinear_tf=True, min_df=2 if len(texts) >= 10 else 1,
                                 max_df=MAX_DOCUMENT_SHARE if len(texts) >= 10 else 1.0,
                                 max_features=MAX_TERMS, dtype=np.float64)
    vectorizer.fit(list(texts))
    terms = tuple(str(t) for t in vectorizer.get_feature_names_out())
    space = TermSpace(terms, np.asarray(vectorizer.idf_, dtype=float))
    return space, space.rows(texts)


def comment_texts(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One comment per row: the row's non-blank open-text answers in `columns`, joined by a new line; "" when
    the row has none. Themes are found and coded per response, so a customer who wrote in two boxes is
    one voice."""
    cells = frame[list(columns)].to_numpy(dtype=object) if columns else np.empty((len(frame), 0), dtype=object)
    joined = ["\n".join(text for text in (_cell(v) for v in row) if text) for row in cells]
    return pd.Series(joined, index=frame.index, dtype=object)


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()
