"""Theme discovery: non-negative matrix factorisation (NMF) of the comments' TF-IDF rows.

The comments' TF-IDF matrix X (`roi.themes.space`) is factorised as X ≈ W·H with W, H ≥ 0: each of the k
rows of H is a component, a weighting of the vocabulary (its heaviest words describe it), and each row of W
says how much of each component a comment holds. scikit-learn's `NMF` (initialised by NNDSVDa, coordinate
descent) with a fixed `random_state` gives the same components on every run. Each component starts as one
theme named by its three heaviest words; people then rename, merge, split and delete them in the codebook.

The first pass is a suggestion, not a finding: a theme is a pattern of words that occur together.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from surveys.errors import CxroiError

from . import embeddings
from .codebook import MIN_SHARE, Codebook, Method, Theme, new_theme_id
from .coding import CodedComments, code_comments, representative_comments
from .space import TermSpace, fit_space

DEFAULT_THEMES = 8
TOP_WORDS = 10
MAX_ITERATIONS = 400
MAX_FIT_COMMENTS = 20_000
"""With more comments, the components are fitted on a seeded random sample of this many (every comment is
then coded with them): the themes of 100,000 comments are those of 20,000, at a fifth of the time."""


class TooFewComments(CxroiError, ValueError):
    """There are not enough comments (or words in them) to find themes."""


@dataclass(frozen=True)
class ThemeSummary:
    """A theme as discovery describes it: its words, how many comments it codes, a few of them."""

    id: str
    name: str
    top_words: tuple[str, ...]
    comments: int
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "top_words": list(self.top_words), "comments": self.comments,
                "examples": list(self.examples)}


@dataclass(frozen=True)
class Discovery:
    """The codebook found, the coding of the comments it was found on, and a summary per theme."""

    codebook: Codebook
    coded: CodedComments
    summaries: tuple[ThemeSummary, ...]


KEEP_WEIGHT = 1e-3
"""A term weighing less than this share of its component's heaviest term is left out of the codebook."""


def _compact(row: np.ndarray, terms: Sequence[str]) -> dict[str, float]:
    """A component as stored: its terms of weight ≥ `KEEP_WEIGHT` × the largest, each to 6 significant digits
    (the codebook stays small enough to upload; coding uses these stored numbers, discovery's included)."""
    floor = KEEP_WEIGHT * float(row.max(initial=0.0))
    return {terms[int(j)]: float(f"{row[j]:.6g}") for j in np.flatnonzero(row > floor)}


def _top_words(row: np.ndarray, terms: Sequence[str], count: int = TOP_WORDS) -> tuple[str, ...]:
    order = np.argsort(-row, kind="stable")[:count]
    return tuple(terms[j] for j in order if row[j] > 0)


METHODS = ("nmf-tfidf", "embeddings")
"""Discovery methods: TF-IDF + NMF (the default), or sentence embeddings clustered (`roi.themes.embeddings`,
needs the optional extra `cxroi[embeddings]`)."""


class UnknownMethod(CxroiError, ValueError):
    """A discovery method that does not exist."""


def written_comments(texts: Sequence[Any]) -> list[str]:
    """The non-blank comments of `texts`, stripped; `TooFewComments` when there is none."""
    written = [str(t).strip() for t in texts if isinstance(t, str) and t.strip()]
    if not written:
        raise TooFewComments("no comments to find themes in")
    return written


def fitted_space(written: Sequence[str], themes: int) -> tuple[TermSpace, sp.csr_matrix, int]:
    """The term space of the comments, their TF-IDF rows and how many themes they can hold (≤ `themes`)."""
    try:
        space, rows = fit_space(written)
    except ValueError:
        raise TooFewComments(f"the {len(written)} comments share no words to build themes from") from None
    k = min(themes, len(space.terms), len(set(written)))
    if k < 1 or rows.nnz == 0:
        raise TooFewComments(f"the {len(written)} comments share no words to build themes from")
    return space, rows, k


def discover_themes(texts: Sequence[Any], *, themes: int = DEFAULT_THEMES, seed: int = 0,
                    min_share: float = MIN_SHARE, survey: str | None = None,
                    method: str = "nmf-tfidf") -> Discovery:
    """Find up to `themes` themes in the non-blank comments of `texts` (seeded by `seed`; the components are
    fitted on at most `MAX_FIT_COMMENTS` of them, a seeded sample).

    Fewer themes are found when there are fewer distinct comments or terms. Raises `TooFewComments` when no
    theme can be found (no comment, or no word shared by two comments). `method` "embeddings" clusters
    sentence embeddings instead (`discover_by_embeddings`); without the optional extra it raises
    `roi.themes.embeddings.EmbeddingsUnavailable`, which says what to install.
    """
    if method not in METHODS:
        raise UnknownMethod(f"method: {method!r} is not a theme discovery method (choose one of "
                            f"{', '.join(METHODS)})")
    if method == "embeddings":
        return discover_by_embeddings(texts, themes=themes, seed=seed, min_share=min_share, survey=survey)
    written = written_comments(texts)
    space, rows, k = fitted_space(written, themes)
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=MAX_ITERATIONS, tol=1e-4,
                solver="cd")
    fitted = rows
    if rows.shape[0] > MAX_FIT_COMMENTS:
        sample = np.sort(np.random.default_rng(seed).choice(rows.shape[0], MAX_FIT_COMMENTS, replace=False))
        fitted = rows[sample]
    with warnings.catch_warnings():
        # 400 iterations short of scikit-learn's tolerance still give usable components; the first pass is a
        # suggestion people review, and the same seed gives the same result either way
        warnings.simplefilter("ignore", ConvergenceWarning)
        doc_weights = model.fit_transform(fitted)
    components = np.asarray(model.components_, dtype=float)
    # themes in order of the comments they dominate, most first (ties: component order)
    size = np.bincount(np.argmax(doc_weights, axis=1)[doc_weights.sum(axis=1) > 0], minlength=k)
    method_used = Method(name="nmf-tfidf", seed=seed, components=k, min_share=min_share, comments=len(written))
    codebook = codebook_of_components(space, components, size, method_used, survey=survey)
    coded = code_comments(codebook, written, sentiment=False)
    summaries = summarise_codebook(codebook, written, coded)
    return Discovery(codebook, coded, summaries)


def discover_by_embeddings(texts: Sequence[Any], *, themes: int = DEFAULT_THEMES, seed: int = 0,
                           min_share: float = MIN_SHARE, survey: str | None = None,
                           examples: int = 5) -> Discovery:
    """Up to `themes` themes found by k-means of the comments' sentence embeddings (`roi.themes.embeddings`),
    each cluster a component in the TF-IDF term space (its members' profile), so the codebook codes later
    comments without the model. The examples are the members nearest the cluster's centre.

    Raises `EmbeddingsUnavailable` without the optional extra, `TooFewComments` as the default method does."""
    written = written_comments(texts)
    space, rows, k = fitted_space(written, themes)
    vectors = embeddings.embed(written, seed=seed)
    k = min(k, len({v.tobytes() for v in vectors}))
    labels, centres = embeddings.cluster(vectors, k, seed=seed)
    profiles = embeddings.cluster_profiles(rows, labels, k)
    used = Method(name="embeddings", seed=seed, components=k, min_share=min_share, comments=len(written))
    codebook = codebook_of_components(space, profiles, np.bincount(labels, minlength=k), used, survey=survey)
    coded = code_comments(codebook, written, sentiment=False)
    summaries = []
    for summary, theme in zip(summarise_codebook(codebook, written, coded, examples=examples), codebook.themes,
                              strict=True):
        cluster = theme.components[0]
        nearest = embeddings.nearest_to_centre(written, vectors, labels, centres[cluster], cluster, examples)
        summaries.append(ThemeSummary(summary.id, summary.name, summary.top_words, summary.comments, nearest))
    return Discovery(codebook, coded, tuple(summaries))


def codebook_of_components(space: TermSpace, components: np.ndarray, size: np.ndarray, method: Method, *,
                           survey: str | None) -> Codebook:
    """A codebook with one theme per component (rows of `components` over `space`'s terms), the themes in
    order of `size` (the comments each component holds), most first, each named by its three heaviest words."""
    k = components.shape[0]
    order = [int(c) for c in np.argsort(-np.asarray(size), kind="stable")]
    weights = tuple(_compact(components[c], space.terms) for c in range(k))
    draft = Codebook(survey=survey, method=method, vocabulary=space.terms,
                     idf=tuple(float(f"{v:.6g}") for v in space.idf), weights=weights)
    found: list[Theme] = []
    for c in order:
        top = _top_words(components[c], space.terms)
        name = " / ".join(top[:3]) or f"theme {c + 1}"
        found.append(Theme(id=new_theme_id(draft.model_copy(update={"themes": tuple(found)}), "_".join(top[:3])),
                           name=name, components=(c,), top_words=top))
    return draft.model_copy(update={"themes": tuple(found)})


def summarise_codebook(codebook: Codebook, texts: Sequence[str], coded: CodedComments, *,
                       examples: int = 5) -> tuple[ThemeSummary, ...]:
    """Per theme: its words (top words of its components, else its keywords), comments coded, examples."""
    matrix = codebook.components_matrix()
    out = []
    for j, theme in enumerate(codebook.themes):
        words = theme.top_words
        if not words and theme.components:
            words = _top_words(matrix[list(theme.components)].sum(axis=0), codebook.vocabulary)
        if not words:
            words = theme.keywords
        out.append(ThemeSummary(theme.id, theme.name, tuple(words), int(coded.indicators[:, j].sum()),
                                tuple(representative_comments(list(texts), coded, theme.id, count=examples))))
    return tuple(out)


def dominant_labels(coded: CodedComments) -> pd.Series:
    """The dominant theme of each comment ("" for none), for comparing with a known grouping."""
    return pd.Series([d or "" for d in coded.dominant()], dtype=object)
