"""Churn-risk cases: once an ROI analysis has been run for a survey (a finished report job, its results.json
stored with it), each newly completed response is scored with that analysis' retention model, and a case opens
when the predicted churn risk reaches the threshold the CX lead set (`set_risk_rule`, `cxroi cases risk`).

The model is read from results.json through its documented contract (docs/results.md), not refitted:

* the metric ranked first by `metric_comparison` (best out-of-sample AUC) whose single retention model was
  estimated; its `terms` (`const`, the metric, the controls) give the linear predictor
  η = Σ coef_j · x_j and the risk 1 / (1 + e^(−η));
* the metric's value comes from the answers as the analysis computes it (the wide row of `Survey.to_row` and
  the summary scores of `surveys.scoring.respondent_scores`); the controls (`tenure_months`, `log_revenue` =
  ln(1 + revenue), `log_revenue_prior`) from the customer's row of that analysis' outcomes file. A response
  whose metric or controls are unknown is not scored (logged), never guessed;
* the interval (`roi.churn_risk.predicted_risk`): with the model's coefficient `covariance` (results.json
  schema 2) the delta method on the logit scale, η ± 1.96·√(x'Vx) mapped through the logistic function — exact;
  results written before schema 2 have only the standard errors, so the standard error of η is bounded by
  Σ |x_j| · se_j and the interval covers the risk with at least 95% (conservative, and said so on the case).

The case records the risk, its interval, which analysis and model scored it (`risk_model`) and the customer's
revenue when the outcomes give it. Scoring runs in the transaction that completes the response and never
fails it: any problem is logged and the response is stored as usual.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roi.churn_risk import covariance_of, predicted_risk
from surveys.model import DUE_HOURS, FollowUpRule, Survey

from ..services.errors import HostingError
from ..storage.churn_risk import ChurnRiskRule
from ..storage.models import FollowUpCase, Response, SurveyRecord, SurveyVersion, utcnow
from ..storage.reports import ReportJob
from .owners import owner_problems

log = logging.getLogger("cxroi.cases")

RULE_ID = "churn_risk"
CONTROLS = ("tenure_months", "log_revenue", "log_revenue_prior")


class RiskRuleError(HostingError):
    """A churn-risk rule that cannot be set: a 400 on a page, exit 2 on the command line."""

    title = "The churn-risk rule cannot be set"


@dataclass(frozen=True)
class RetentionModel:
    """The linear predictor of one analysis' retention model: (term, coef, se) with `const` first, and the
    coefficients' covariance in that order when results.json carries it (schema 2)."""

    version: str
    metric: str
    terms: tuple[tuple[str, float, float], ...]
    covariance: tuple[tuple[float, ...], ...] | None = None


@dataclass(frozen=True)
class RiskScore:
    risk: float
    low: float
    high: float
    model: str
    revenue: float | None


def retention_model(results: Mapping[str, Any], job_id: int) -> RetentionModel | None:
    """The model of the best-ranked metric whose single retention model has every coefficient and error."""
    ranked = sorted((m for m in (results.get("metric_comparison") or {}).get("metrics") or []
                     if isinstance(m.get("rank"), int)), key=lambda m: m["rank"])
    models = {m.get("name"): m for m in (results.get("retention") or {}).get("models") or []
              if m.get("kind") == "single"}
    for entry in ranked:
        model = models.get(entry.get("metric"))
        if model is None or model.get("method") == "not_estimated":
            continue
        terms = [(t.get("name"), t.get("coef"), t.get("se")) for t in model.get("terms") or []]
        if not terms or any(not isinstance(c, int | float) or not isinstance(s, int | float) for _, c, s in terms):
            continue
        version = (f"report job {job_id}: retention model of {model['name']} ({model.get('method')}, "
                   f"n = {model.get('n')})")
        covariance = covariance_of(model)
        return RetentionModel(version, model["name"], tuple((str(n), float(c), float(s)) for n, c, s in terms),
                              tuple(map(tuple, covariance.tolist())) if covariance is not None else None)
    return None


def score(model: RetentionModel, values: Mapping[str, float | None]) -> tuple[float, float, float] | None:
    """(risk, low, high), or None when a predictor's value is unknown."""
    import numpy as np

    found = predicted_risk([n for n, _, _ in model.terms], [c for _, c, _ in model.terms], values,
                           covariance=np.array(model.covariance) if model.covariance is not None else None,
                           se=[s for _, _, s in model.terms])
    return (found.risk, found.low, found.high) if found is not None else None


def metric_values(survey: Survey, answers: Mapping[str, Any]) -> dict[str, float | None]:
    """Every metric the analysis could have used, for one response: its wide columns and summary scores."""
    import pandas as pd

    from surveys.scoring import respondent_scores

    row = survey.to_row(answers)
    values: dict[str, float | None] = {}
    for column, value in row.items():
        values[column] = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else (
            1.0 if value is True else 0.0 if value is False else None)
    table = respondent_scores(pd.DataFrame([row | {"status": "complete"}]), survey)
    for column, value in table.iloc[0].items():
        number = float(value) if value is not None else math.nan
        values[str(column)] = None if math.isnan(number) else number
    return values


@lru_cache(maxsize=8)
def _outcomes(job_id: int, content: bytes, name: str, config_json: str) -> dict[str, dict[str, float]]:
    """customer id → {tenure_months, revenue, revenue_prior} from an analysis' outcomes file (cached per job)."""
    import json

    from roi.config import build_config
    from roi.inputs.outcomes import build_outcomes

    from ..services.uploads import read_outcomes_file

    table = build_outcomes(read_outcomes_file(content, name), build_config(json.loads(config_json))).frame
    columns = [c for c in ("tenure_months", "revenue", "revenue_prior") if c in table.columns]
    known: dict[str, dict[str, float]] = {}
    for record in table[["customer_id", *columns]].to_dict("records"):
        known[str(record["customer_id"])] = {c: float(record[c]) for c in columns
                                             if record[c] is not None and math.isfinite(float(record[c]))}
    return known


def customer_controls(session: Session, job_id: int, customer_id: str | None) -> dict[str, float]:
    """The controls of a customer as the analysis built them, plus `revenue`; {} when the outcomes lack them."""
    if customer_id is None:
        return {}
    row = session.execute(sa.select(ReportJob.outcomes_file, ReportJob.outcomes_name, ReportJob.config)
                          .where(ReportJob.id == job_id)).one()
    import json

    found = _outcomes(job_id, row.outcomes_file, row.outcomes_name, json.dumps(row.config, sort_keys=True))
    outcome = found.get(customer_id, {})
    values = dict(outcome)
    if "revenue" in outcome:
        values["log_revenue"] = math.log1p(max(outcome["revenue"], 0.0))
    if "revenue_prior" in outcome:
        values["log_revenue_prior"] = math.log1p(max(outcome["revenue_prior"], 0.0))
    return values


def latest_analysis(session: Session, slug: str) -> tuple[int, dict[str, Any]] | None:
    """(job id, results) of the survey's most recent finished analysis."""
    row = session.execute(sa.select(ReportJob.id, ReportJob.results)
                          .where(ReportJob.survey_slug == slug, ReportJob.status == "done")
                          .order_by(ReportJob.finished_at.desc(), ReportJob.id.desc()).limit(1)).first()
    return (row.id, row.results) if row is not None and row.results else None


def open_risk_case(session: Session, response_id: int, survey: Survey, answers: Mapping[str, Any], *,
                   now: datetime | None = None) -> int | None:
    """Score a completed response and open its churn-risk case when the risk reaches the survey's threshold; the
    case id, or None. Runs in the caller's transaction; never raises."""
    try:
        return _open_risk_case(session, response_id, survey, answers, now or utcnow())
    except Exception:  # the respondent's submit must not fail because of a model
        log.exception("response %s: churn risk not scored", response_id)
        return None


def _open_risk_case(session: Session, response_id: int, survey: Survey, answers: Mapping[str, Any],
                    now: datetime) -> int | None:
    found = session.execute(
        sa.select(Response.customer_id, SurveyRecord.id, SurveyRecord.slug, ChurnRiskRule)
        .join(SurveyVersion, Response.version_id == SurveyVersion.id)
        .join(SurveyRecord, SurveyVersion.survey_id == SurveyRecord.id)
        .join(ChurnRiskRule, ChurnRiskRule.survey_id == SurveyRecord.id)
        .where(Response.id == response_id)).first()
    if found is None:  # no risk threshold set for this survey
        return None
    customer, survey_id, slug, rule = found
    analysis = latest_analysis(session, slug)
    model = retention_model(analysis[1], analysis[0]) if analysis else None
    if analysis is None or model is None:
        log.info("response %s: no finished analysis with a retention model for %s; churn risk not scored",
                 response_id, slug)
        return None
    controls = customer_controls(session, analysis[0], customer)
    result = score(model, metric_values(survey, answers) | controls)
    if result is None:
        log.info("response %s: %s or the customer's controls unknown; churn risk not scored", response_id,
                 model.metric)
        return None
    risk, low, high = result
    if risk < rule.threshold:
        return None
    case = FollowUpCase(
        response_id=response_id, survey_id=survey_id, rule_id=RULE_ID,
        rule_when=f"predicted churn risk >= {rule.threshold:.0%}",
        rule_note=(f"Predicted churn risk {risk:.0%} (95% interval {low:.0%} to {high:.0%}, "
                   + ("delta method on the logit scale" if model.covariance is not None else
                      "conservative: the coefficients' covariance is not in results.json")
                   + ") from " + model.version),
        priority=rule.priority, owner=rule.owner, team=rule.team, customer_id=customer, status="open",
        created_at=now, updated_at=now, due_at=now + timedelta(hours=DUE_HOURS[rule.priority]), notify_state="queued",
        risk=risk, risk_low=low, risk_high=high, risk_model=model.version[:300], revenue=controls.get("revenue"))
    try:
        with session.begin_nested():
            session.add(case)
    except IntegrityError:  # opened already (a retried completion)
        return None
    return case.id


def set_risk_rule(session: Session, slug: str, threshold: float | None, *, owner: str | None = None,
                  team: str | None = None, priority: str = "high", set_by: str | None = None) -> None:
    """Set (or, with threshold None, remove) a survey's churn-risk rule. Commits; `RiskRuleError` names the
    problem (threshold outside (0, 1), not exactly one of owner and team, an unknown owner or team)."""
    from ..services.publishing import find_survey

    record = find_survey(session, slug)
    existing = session.scalar(sa.select(ChurnRiskRule).where(ChurnRiskRule.survey_id == record.id))
    if threshold is None:
        if existing is not None:
            session.delete(existing)
        session.commit()
        return
    if not 0 < threshold < 1:
        raise RiskRuleError(f"--threshold: a churn probability between 0 and 1 (e.g. 0.3), not {threshold}")
    if (owner is None) == (team is None):
        raise RiskRuleError("give either an owner (--owner EMAIL) or a team (--team NAME) for the risk cases")
    rule = FollowUpRule(id=RULE_ID, when="risk", priority=priority, owner=owner, team=team)  # type: ignore[arg-type]
    problems = [p.replace("follow_up[0].", "--") for p in owner_problems(session, [rule], record.team_id)]
    if problems:
        raise RiskRuleError("; ".join(problems))
    row = existing or ChurnRiskRule(survey_id=record.id, threshold=threshold)
    row.threshold, row.priority, row.owner, row.team = threshold, priority, rule.owner, team
    row.set_by, row.updated_at = set_by, utcnow()
    session.add(row)
    session.commit()


@dataclass(frozen=True)
class RiskSettings:
    """What the CX lead's page shows: the survey, its rule (or None) and the model that would score now."""

    slug: str
    title: str
    rule: ChurnRiskRule | None
    model: RetentionModel | None


def risk_settings(session: Session, slug: str) -> RiskSettings:
    from ..services.publishing import find_survey

    record = find_survey(session, slug)
    rule = session.scalar(sa.select(ChurnRiskRule).where(ChurnRiskRule.survey_id == record.id))
    analysis = latest_analysis(session, slug)
    return RiskSettings(record.slug, record.title, rule,
                        retention_model(analysis[1], analysis[0]) if analysis else None)
