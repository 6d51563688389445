"""Synthetic demo data with known truth: a survey definition, responses, outcomes, roi.yaml and truth.json.

The planted world (all numbers are in `truth.json`):
* each customer has a latent alignment `a ~ N(0, 1)`; the three brand-promise items are `a` plus noise on a
  5-point scale, and BAS = 100 × (mean item − 1) / 4;
* CES, CSAT and NPS follow `a` with more noise, so they correlate with BAS but predict churn less well;
* churn: logit P(churned) = β0 + β_bas × BAS + β_tenure × tenure_months (revenue has no effect of its own);
* revenue = revenue_prior + γ × (BAS − 50) + noise, so the revenue change depends on alignment;
* `tenure_months` is the tenure at the survey; a churner's `end_date` falls uniformly within the year after
  their survey (roi.yaml `as_of` 2027-05-01 censors the others), so survival runs from the survey.
Non-respondents follow the same model (their BAS is never observed). Some respondents answered twice (the
later answer is the one the outcomes follow), some stopped after the first page (status `partial`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from surveys.definition import build_survey, to_yaml
from surveys.model import Survey

from .fitting import expit

TRUE_INTERCEPT = 0.6
TRUE_BAS_COEF = -0.03
"""Per BAS point (0–100): 10 points of alignment multiply the odds of churn by exp(−0.3) ≈ 0.74."""
TRUE_TENURE_COEF = -0.015
TRUE_REVENUE_GAMMA = 15.0
"""Revenue change per BAS point, in the currency per year."""
SCENARIO_DELTA = 10.0
NO_TEXT = np.array(None, dtype=object)
PROMISES = (("easy", "We make things easy"), ("partner", "We treat you as a partner"),
            ("reliable", "We do what we say"))
TOUCHPOINTS = (("ordering", "Ordering"), ("delivery", "Delivery"), ("billing", "Billing"), ("support", "Support"))
CHANNELS = (("phone", "Phone"), ("email", "Email"), ("chat", "Chat"))
COMMENTS = (
    "Support fixed my problem on the first call.",
    "Billing is confusing and I had to call twice.",
    "Great people, slow website.",
    "I never reach the same person twice.",
    "Delivery was late again <b>three times</b> this quarter <script>alert('x')</script> & nobody called.",
    "Everything fine.",
)
WHAT = ("The form asked for the same details twice.", "I could not find the price.", "Long hold time.")


def demo_definition() -> Survey:
    """The relationship survey the demo data answers: alignment, CES, CSAT, friction, channels, NPS, comment."""
    data: dict[str, Any] = {
        "id": "demo_relationship",
        "title": "How are we doing?",
        "intro": "A few minutes about your experience with us over the last year.",
        "brand_promises": [{"id": i, "label": label} for i, label in PROMISES],
        "touchpoints": [{"id": i, "label": label} for i, label in TOUCHPOINTS],
        "channels": [{"id": i, "label": label} for i, label in CHANNELS],
        "sections": [
            {"id": "promises", "title": "What we promised", "questions": [
                {"id": "q_align", "type": "alignment", "required": True,
                 "text": "How well did your experience match each of these?"},
                {"id": "q_ces", "type": "ces", "text": "We made it easy to get what you needed.", "required": True},
                {"id": "q_csat", "type": "csat", "text": "Overall, how satisfied are you with us?"},
                {"id": "q_channels", "type": "multi_choice", "text": "Which of these did you use to contact us?",
                 "choices": [{"code": i, "label": label} for i, label in CHANNELS]},
            ]},
            {"id": "journey", "title": "Along the way", "questions": [  # q_channel's rows follow page 1's q_channels
                {"id": "q_friction", "type": "friction",
                 "text": "Did anything make you hesitate at each of these steps?"},
                {"id": "q_channel", "type": "channel_rating", "text": "How was each channel you used?",
                 "used_channels_from": "q_channels"},
                {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us to a colleague?"},
                {"id": "q_comment", "type": "text", "text": "What is the one thing we should change?"},
            ]},
        ],
    }
    return build_survey(data, source="<demo definition>")


def true_churn_probability(bas: np.ndarray, tenure_months: np.ndarray) -> np.ndarray:
    """P(churned) under the planted model."""
    return expit(TRUE_INTERCEPT + TRUE_BAS_COEF * bas + TRUE_TENURE_COEF * tenure_months)


@dataclass(frozen=True)
class DemoData:
    """The generated demo: definition, responses (wide table), outcomes, roi.yaml data and truth.json data."""

    survey: Survey
    responses: pd.DataFrame
    outcomes: pd.DataFrame
    config: dict[str, Any]
    truth: dict[str, Any]


def _answers(rng: np.random.Generator, latent: np.ndarray) -> dict[str, np.ndarray]:
    """One survey's answers (as float columns, NaN for blank) for customers with latent alignment `latent`."""
    n = len(latent)
    cols: dict[str, np.ndarray] = {}
    for promise, _ in PROMISES:
        cols[f"q_align.{promise}"] = np.clip(np.rint(3 + latent + rng.normal(0, 0.7, n)), 1, 5)
    cols["q_ces"] = np.clip(np.rint(4.5 + 0.9 * latent + rng.normal(0, 1.4, n)), 1, 7)
    cols["q_csat"] = np.clip(np.rint(3.4 + 0.6 * latent + rng.normal(0, 0.9, n)), 1, 5)
    for touchpoint, _ in TOUCHPOINTS:
        cols[f"q_friction.{touchpoint}"] = (rng.random(n) < expit(-1.2 - 0.7 * latent)).astype(float)
    for channel, _ in CHANNELS:
        used = rng.random(n) < 0.5
        cols[f"q_channels.{channel}"] = used.astype(float)
        rating = np.clip(np.rint(3.5 + 0.5 * latent + rng.normal(0, 1.0, n)), 1, 5)
        cols[f"q_channel.{channel}"] = np.where(used, rating, np.nan)
    cols["q_nps"] = np.clip(np.rint(7 + 1.4 * latent + rng.normal(0, 2.0, n)), 0, 10)
    return cols


def bas_of(answers: dict[str, np.ndarray]) -> np.ndarray:
    """BAS 0–100 from the alignment items: 100 × (mean of the answered items − 1) / (5 − 1)."""
    items = np.column_stack([answers[f"q_align.{p}"] for p, _ in PROMISES])
    return 100.0 * (np.nanmean(items, axis=1) - 1.0) / 4.0


def build_demo_data(customers: int, *, seed: int) -> DemoData:
    """Generate the demo world for `customers` customers, reproducibly for `seed`."""
    if customers < 10:
        raise ValueError("the demo needs at least 10 customers")
    rng = np.random.default_rng(seed)
    survey = demo_definition()
    n = customers
    ids = np.array([f"C{i:06d}" for i in range(1, n + 1)], dtype=object)
    tenure = rng.integers(1, 121, n).astype(float)
    region = rng.choice(["north", "south", "east", "west"], n)
    plan = rng.choice(["basic", "pro", "enterprise"], n, p=[0.5, 0.35, 0.15])
    account = np.array([f"A{k:05d}" for k in rng.integers(1, max(2, n // 3) + 1, n)], dtype=object)
    latent = rng.normal(0, 1, n)
    answers = _answers(rng, latent)
    bas = bas_of(answers)
    churned = (rng.random(n) < true_churn_probability(bas, tenure)).astype(int)
    revenue_prior = np.round(np.exp(rng.normal(8.5, 0.45, n)), 2)
    revenue = np.round(np.maximum(revenue_prior + TRUE_REVENUE_GAMMA * (bas - 50) + rng.normal(0, 300, n), 0), 2)

    responded = rng.random(n) < 0.7
    responded[: min(n, 5)] = True  # keep tiny demos analysable
    resp_index = np.flatnonzero(responded)
    frame = pd.DataFrame({k: v[resp_index] for k, v in answers.items()})
    partial = rng.random(len(frame)) < 0.05
    later_pages = [c for c in frame.columns if not c.startswith(("q_align", "q_ces", "q_csat"))]
    frame.loc[partial, later_pages] = np.nan
    comment_pick = rng.integers(0, len(COMMENTS), len(frame))
    has_comment = rng.random(len(frame)) < 0.3
    has_comment[: min(len(frame), 1)] = True
    comment_pick[0] = 4  # the one with markup, so escaping is always exercised downstream
    comments = np.where(has_comment & ~partial, np.array(COMMENTS, dtype=object)[comment_pick], NO_TEXT)
    head = pd.DataFrame({
        "response_id": [f"R{i:07d}" for i in range(1, len(frame) + 1)],
        "customer_id": ids[resp_index],
        "channel": rng.choice(["email", "web"], len(frame)),
        "survey_version": 1,
        "started_at": None,
        "submitted_at": None,
        "status": np.where(partial, "partial", "complete"),
    })
    day = pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 60 * 24 * 60, len(frame)), unit="min")
    head["started_at"] = (day - pd.Timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    head["submitted_at"] = day.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = pd.concat([head, frame], axis=1)
    frame["q_comment"] = comments
    for touchpoint, _ in TOUCHPOINTS:
        said = (frame[f"q_friction.{touchpoint}"] == 1) & (rng.random(len(frame)) < 0.3)
        frame[f"q_friction.{touchpoint}.what"] = np.where(said, rng.choice(WHAT, len(frame)), NO_TEXT)
    # some customers answered twice: an earlier, different answer that the analysis must set aside
    twice = rng.random(len(frame)) < 0.03
    earlier = frame[twice].copy()
    earlier["response_id"] = [f"E{i:07d}" for i in range(1, len(earlier) + 1)]
    earlier["submitted_at"] = (pd.to_datetime(earlier["submitted_at"]) - pd.Timedelta(days=40)).dt.strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    for promise, _ in PROMISES:
        earlier[f"q_align.{promise}"] = rng.integers(1, 6, len(earlier)).astype(float)
    frame = pd.concat([frame, earlier], ignore_index=True)
    frame = frame[survey.columns()]

    # churners leave within the year after the survey (drawn last, from their own stream, so every other
    # number of a seed is as before); customers still active are censored at the as-of date
    answered = pd.Series(pd.Timestamp("2026-03-01"), index=range(n))
    answered.iloc[resp_index] = day.normalize()
    leave_rng = np.random.default_rng([seed, 1])
    end_date = (answered + pd.to_timedelta(leave_rng.integers(1, 365, n), unit="D")).dt.strftime("%Y-%m-%d")
    outcomes = pd.DataFrame({
        "customer_id": ids, "churned": churned, "tenure_months": tenure, "end_date": end_date.where(churned == 1),
        "revenue": revenue, "revenue_prior": revenue_prior, "account_id": account, "region": region, "plan": plan,
    })
    config = {
        "as_of": "2027-05-01",
        "revenue_period": "year",
        "controls": ["tenure_months", "revenue"],
        "segments": ["region", "plan"],
        "scenario": {"metric": "bas", "delta": SCENARIO_DELTA, "segment": None, "population": "respondents"},
        "finance": {"program_cost": round(float(revenue[resp_index].sum()) * 0.01, 2), "margin": 0.3,
                    "discount_rate": 0.1, "horizon_years": 1},
        "bootstrap": 200,
    }
    matched_bas = bas[resp_index]
    p_now = true_churn_probability(matched_bas, tenure[resp_index])
    p_better = true_churn_probability(np.minimum(matched_bas + SCENARIO_DELTA, 100.0), tenure[resp_index])
    retained = float(np.sum((p_now - p_better) * revenue[resp_index]))
    truth = {
        "seed": seed,
        "customers": n,
        "respondents": int(len(resp_index)),
        "retention": {
            "model": "logit P(churned) = intercept + bas_coef × BAS + tenure_coef × tenure_months",
            "metric": "bas", "intercept": TRUE_INTERCEPT, "bas_coef": TRUE_BAS_COEF,
            "tenure_coef": TRUE_TENURE_COEF, "revenue_coef": 0.0,
        },
        "revenue": {"model": "revenue − revenue_prior = gamma × (BAS − 50) + N(0, 300²)", "metric": "bas",
                    "bas_coef": TRUE_REVENUE_GAMMA},
        "best_metric": "bas",
        "scenario": {
            "metric": "bas", "delta": SCENARIO_DELTA, "population": "respondents", "horizon_years": 1,
            "retained_revenue": retained,
            "formula": "Σ over respondents of revenue × (P(churn | BAS) − P(churn | min(BAS + delta, 100)))"
                       " under the true model",
        },
    }
    return DemoData(survey, frame, outcomes, config, truth)


def write_demo_data(demo: DemoData, out: str | Path) -> list[Path]:
    """Write survey.yaml, responses.csv, outcomes.csv, roi.yaml and truth.json into `out`; return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / name for name in ("survey.yaml", "responses.csv", "outcomes.csv", "roi.yaml", "truth.json")]
    paths[0].write_text(to_yaml(demo.survey), encoding="utf-8")
    responses = demo.responses.copy()
    numeric = responses.select_dtypes("number").columns
    responses[numeric] = responses[numeric].astype("Int64")  # whole numbers as 3, not 3.0
    responses.to_csv(paths[1], index=False)
    demo.outcomes.to_csv(paths[2], index=False)
    paths[3].write_text(yaml.safe_dump(demo.config, sort_keys=False), encoding="utf-8")
    paths[4].write_text(json.dumps(demo.truth, indent=2) + "\n", encoding="utf-8")
    return paths
