"""Which language a comment is in, so that only English comments are scored by VADER (an English lexicon).

The detector is py3langid (a maintained fork of langid.py: a naive Bayes model over byte n-grams of 97
languages, shipped inside the package; deterministic, about 40,000 short comments a second). The rules:

1. a language recorded with the response (the language it was answered in) is taken as it is;
2. otherwise the detector's most probable language, when its normalised probability is at least
   `MIN_CONFIDENCE`, or when it is English;
3. otherwise (a comment too short to tell, such as "ok") the survey's language (`fallback`).

A comment in another language gets no sentiment ("not available"), never a neutral score.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

MIN_CONFIDENCE = 0.3
"""Below this normalised probability the detector's guess is not trusted (short comments score 0.01–0.3)."""
ENGLISH = "en"


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def base_language(code: Any) -> str | None:
    """'en' for 'en', 'en-GB' or 'EN_us'; None for a missing or blank code."""
    if code is None or (isinstance(code, float) and np.isnan(code)) or code is pd.NA:
        return None
    text = str(code).strip().lower().replace("_", "-")
    return text.split("-")[0] or None


def detect_language(text: str, *, fallback: str = ENGLISH) -> str:
    """The language of one comment by rules 2 and 3 of the module docstring ("" gives `fallback`)."""
    if not text.strip():
        return fallback
    language, probability = _identifier().classify(text)
    if language == ENGLISH or probability >= MIN_CONFIDENCE:
        return str(language)
    return fallback


def detect_languages(texts: Sequence[str], *, known: Sequence[Any] | None = None,
                     fallback: str = ENGLISH) -> list[str]:
    """The language of each comment (rules 1–3); each distinct comment is classified once."""
    found: dict[str, str] = {}
    out = []
    for i, text in enumerate(texts):
        given = base_language(known[i]) if known is not None else None
        if given is not None:
            out.append(given)
            continue
        if text not in found:
            found[text] = detect_language(text, fallback=fallback)
        out.append(found[text])
    return out


def not_english(texts: Sequence[Any], *, fallback: str = ENGLISH) -> np.ndarray:
    """True for each written comment whose language (rules 2–3) is not English: VADER's score of it would be
    a fake "neutral", so it gets none. Blank or missing comments are False."""
    written = [(i, t.strip()) for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
    mask = np.zeros(len(texts), dtype=bool)
    for (i, _), language in zip(written, detect_languages([t for _, t in written], fallback=fallback), strict=True):
        mask[i] = language != ENGLISH
    return mask
