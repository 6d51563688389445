"""Comments with planted truth, for tests and benchmarks: customers write about known themes whose
vocabularies overlap, with filler words and stray words of other themes, and one theme drives churn.

`planted_comments(customers, seed=…)` returns a responses table (`customer_id`, `status`, `q_comment`), an
outcomes table (`customer_id`, `churned`, `tenure_months`, `revenue`) and the truth: each commenter's theme.
Churn is 15% for everyone except those who write about reaching a person (`CHURN_THEME`), who churn at 40%;
the other themes, including `NULL_THEME`, have no effect on churn or revenue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

VOCABULARY: dict[str, tuple[str, ...]] = {
    "reaching_a_person": ("talk", "person", "human", "reach", "someone", "phone", "queue", "transferred", "bot",
                          "agent", "hold", "spend"),
    "new_face": ("different", "face", "same", "person", "explain", "history", "start", "over", "every", "agent",
                 "remember", "account"),
    "courier": ("courier", "note", "parcel", "delivery", "left", "door", "missed", "late", "package", "driver",
                "neighbour", "tracking"),
    "billing": ("invoice", "charged", "bill", "twice", "refund", "price", "fee", "payment", "confusing", "late",
                "account", "discount"),
    "app": ("app", "website", "login", "crash", "password", "slow", "page", "error", "update", "screen", "phone",
            "button"),
}
"""Each theme's words; several words belong to two themes (person, agent, late, account, phone)."""
FILLER = ("really", "quite", "honestly", "overall", "today", "month", "week", "time", "service", "company",
          "customer", "thing", "lot", "bit", "usual", "year", "experience", "pretty")
CHURN_THEME = "reaching_a_person"
NULL_THEME = "app"
BASE_CHURN = 0.15
THEME_CHURN = 0.40
COMMENT_SHARE = 0.7
STRAY_SHARE = 0.2
"""Share of comments carrying one word of another theme."""


@dataclass(frozen=True)
class PlantedComments:
    responses: pd.DataFrame
    outcomes: pd.DataFrame
    truth: pd.Series
    """The planted theme of each response row ("" for a customer who wrote nothing)."""


def _comment(rng: np.random.Generator, theme: str, themes: list[str]) -> str:
    own = VOCABULARY[theme]
    words = list(rng.choice(own, size=int(rng.integers(4, 8)), replace=True))
    words += list(rng.choice(FILLER, size=int(rng.integers(2, 5)), replace=True))
    if rng.random() < STRAY_SHARE:
        other = themes[int(rng.integers(len(themes)))]
        words.append(str(rng.choice(VOCABULARY[other])))
    rng.shuffle(words)
    return " ".join(str(w) for w in words).capitalize() + "."


def planted_comments(customers: int, *, seed: int = 0) -> PlantedComments:
    """`customers` customers, `COMMENT_SHARE` of them commenting on one planted theme each."""
    rng = np.random.default_rng(seed)
    themes = list(VOCABULARY)
    ids = np.array([f"C{i:07d}" for i in range(customers)], dtype=object)
    writes = rng.random(customers) < COMMENT_SHARE
    theme_of = np.where(writes, np.array(themes, dtype=object)[rng.integers(0, len(themes), customers)], "")
    comments = np.array([_comment(rng, str(t), themes) if t else "" for t in theme_of], dtype=object)
    churn_p = np.where(theme_of == CHURN_THEME, THEME_CHURN, BASE_CHURN)
    tenure = rng.integers(1, 121, customers).astype(float)
    revenue = np.round(np.exp(rng.normal(7.5, 0.5, customers)), 2)
    responses = pd.DataFrame({"response_id": [f"R{i}" for i in range(customers)], "customer_id": ids,
                              "status": "complete",
                              "q_comment": pd.Series(comments).where(writes, None)})
    outcomes = pd.DataFrame({"customer_id": ids, "churned": (rng.random(customers) < churn_p).astype(int),
                             "tenure_months": tenure, "revenue": revenue})
    return PlantedComments(responses, outcomes, pd.Series(theme_of, name="theme"))
