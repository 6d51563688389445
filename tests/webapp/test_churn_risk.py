"""Churn-risk cases (issue 11): once an analysis has been run for a survey, each newly completed response is
scored with that analysis' retention model (read from its stored results.json) and a case opens when the risk
reaches the threshold the CX lead set; the case shows the risk, its interval, the model and the customer's
revenue. Expected numbers worked out by hand from the planted model below. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import math

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.support.author import PASSWORD, page_token, sign_in_as
from tests.webapp.support.cli import run
from tests.webapp.support.web import answer_all, example_survey
from webapp.accounts.service import create_user
from webapp.cases import churn_risk, service
from webapp.services import create_invitations, publish_survey
from webapp.storage.churn_risk import ChurnRiskRule
from webapp.storage.engine import open_session
from webapp.storage.models import utcnow
from webapp.storage.reports import ReportJob

SLUG = "acme_relationship"
OUTCOMES = b"customer_id,churned,revenue\nC1,0,1200\nC2,0,100\n"
RESULTS = {  # the planted model: logit P(churn) = -1.0 - 0.3 q_ces + 0.2 ln(1 + revenue)
    "metric_comparison": {"metrics": [{"metric": "nps", "rank": 2}, {"metric": "q_ces", "rank": 1}]},
    "retention": {"models": [
        {"name": "nps", "kind": "single", "method": "mle", "n": 400,
         "terms": [{"name": "const", "coef": 5.0, "se": 1.0}, {"name": "nps", "coef": 0.0, "se": 1.0}]},
        {"name": "q_ces", "kind": "single", "method": "mle", "n": 400,
         "terms": [{"name": "const", "coef": -1.0, "se": 0.5}, {"name": "q_ces", "coef": -0.3, "se": 0.1},
                   {"name": "log_revenue", "coef": 0.2, "se": 0.05}]},
    ]},
}
# C1 answers q_ces = 3 (answer_all) and has revenue 1200: η = -1 - 0.9 + 0.2 ln 1201 = -0.481818,
# risk = 1/(1 + e^0.481818) = 0.3818; bound on se(η) = 0.5 + 0.3 + 0.05 ln 1201 = 1.154545,
# η ± 1.959964 × 1.154545 = -2.74469 / 1.78106 → 0.0604 and 0.8558.
# C2 answers q_ces = 7, revenue 100: η = -3.1 + 0.2 ln 101 = -2.17698 → 0.1018, below the threshold.
# C3 is not in the outcomes: its revenue control is unknown, so it is not scored.


def respond(app: Flask, db_url: str, customer: str, ces: str) -> None:
    with open_session(db_url) as session:
        link = f"/s/{create_invitations(session, SLUG, [customer], 'email')[0].token}"
    client = app.test_client()
    if ces == "3":
        answer_all(client, link)
        return
    token = page_token(client, link)
    assert client.post(link, data={"page": "0", "q_align.easy": "5", "q_align.partner": "5", "q_ces": ces,
                                   "q_channels": ["phone"], "csrf_token": token}).status_code == 303
    assert client.post(link, data={"page": "1", "q_channel.phone": "5", "q_nps": "10", "q_friction.ordering": "no",
                                   "q_friction.billing": "no", "csrf_token": token}).status_code == 303


def analysed(db_url: str) -> None:
    """A finished analysis of the survey, as the reports page leaves it (results and outcomes stored)."""
    with open_session(db_url) as session:
        session.add(ReportJob(survey_slug=SLUG, survey_title="How are we doing?", status="done", progress="Done",
                              outcomes_name="outcomes.csv", outcomes_sha256=hashlib.sha256(OUTCOMES).hexdigest(),
                              outcomes_bytes=len(OUTCOMES), outcomes_file=OUTCOMES, config={}, seed=0,
                              results=RESULTS, finished_at=utcnow()))
        session.commit()


@pytest.fixture
def programme(app: Flask, db_url: str) -> FlaskClient:
    churn_risk._outcomes.cache_clear()
    with open_session(db_url) as session:
        create_user(session, "agent@example.com", "agent", PASSWORD)
        publish_survey(session, example_survey())
        churn_risk.set_risk_rule(session, SLUG, 0.3, owner="agent@example.com")
    return sign_in_as(app, "agent@example.com")


def test_the_model_is_the_best_ranked_metric_and_scores_by_hand() -> None:
    model = churn_risk.retention_model(RESULTS, 7)
    assert model is not None and model.metric == "q_ces" and model.version.startswith("report job 7: ")
    risk, low, high = churn_risk.score(model, {"q_ces": 3.0, "log_revenue": math.log(1201)}) or (0, 0, 0)
    assert risk == pytest.approx(0.3818, abs=1e-4)
    assert (low, high) == (pytest.approx(0.0604, abs=1e-4), pytest.approx(0.8558, abs=1e-4))
    assert churn_risk.score(model, {"q_ces": 3.0}) is None  # a control unknown: not scored, never guessed
    assert churn_risk.retention_model({"retention": {"models": []}}, 1) is None


COVARIANCE = {"terms": ["const", "q_ces", "log_revenue"],
              "matrix": [[0.25, -0.02, 0.0], [-0.02, 0.01, 0.0], [0.0, 0.0, 0.0025]]}
# With the covariance, C1's x = (1, 3, ln 1201 = 7.090910): x'Vx = 0.25 + 9 × 0.01 + 7.090910² × 0.0025
# + 2 × 3 × (-0.02) = 0.345703, se(η) = 0.587965; η ± 1.959964 × 0.587965 = -1.634207 / 0.670571
# → 0.1633 and 0.6616 (narrower than the bound's 0.0604 to 0.8558).


def test_with_the_covariance_a_case_carries_the_delta_method_interval(app: Flask, db_url: str,
                                                                      programme: FlaskClient) -> None:
    models = RESULTS["retention"]["models"]  # type: ignore[index]
    exact = {**RESULTS, "retention": {"models": [models[0], {**models[1], "covariance": COVARIANCE}]}}
    with open_session(db_url) as session:
        session.add(ReportJob(survey_slug=SLUG, survey_title="How are we doing?", status="done", progress="Done",
                              outcomes_name="outcomes.csv", outcomes_sha256=hashlib.sha256(OUTCOMES).hexdigest(),
                              outcomes_bytes=len(OUTCOMES), outcomes_file=OUTCOMES, config={}, seed=0,
                              results=exact, finished_at=utcnow()))
        session.commit()
    respond(app, db_url, "C1", "3")
    with open_session(db_url) as session:
        rows = service.list_cases(session)
        assert [(r.rule_id, r.customer_id) for r in rows] == [("churn_risk", "C1")]
        case = service.get_case(session, rows[0].id)
        assert case.risk == pytest.approx(0.3818, abs=1e-4)
        assert (case.risk_low, case.risk_high) == (pytest.approx(0.1633, abs=1e-4), pytest.approx(0.6616, abs=1e-4))
        case_id = case.id
    page = programme.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "95% interval 16% to 66%, delta method on the logit scale" in page and "conservative" not in page


def test_a_risky_response_opens_a_case_with_its_risk(app: Flask, db_url: str, programme: FlaskClient) -> None:
    respond(app, db_url, "C1", "3")  # before any analysis: nothing to score with
    with open_session(db_url) as session:
        assert service.list_cases(session) == []
    analysed(db_url)
    respond(app, db_url, "C1", "3")  # C1 again, on a new link: risk 38% ≥ 30%
    respond(app, db_url, "C2", "7")  # 10%: no case
    respond(app, db_url, "C3", "3")  # not in the outcomes: not scored
    with open_session(db_url) as session:
        rows = service.list_cases(session)
        assert [(r.rule_id, r.customer_id, r.owner, r.priority) for r in rows] == [
            ("churn_risk", "C1", "agent@example.com", "high")]
        case = service.get_case(session, rows[0].id)
        assert case.risk == pytest.approx(0.3818, abs=1e-4)
        assert (case.risk_low, case.risk_high) == (pytest.approx(0.0604, abs=1e-4), pytest.approx(0.8558, abs=1e-4))
        assert case.revenue == 1200.0 and case.risk_model is not None and "q_ces" in case.risk_model
        case_id = case.id
    listed = rows[0].as_dict()  # `cxroi cases list --format json|csv` rows
    assert listed["risk"] == pytest.approx(0.3818, abs=1e-4) and listed["revenue"] == 1200.0
    page = programme.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "38% (95% interval 6% to 86%, conservative" in page and "1,200" in page and "report job" in page


def test_setting_the_threshold(db_url: str, programme: FlaskClient, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    code, out, err = run(["cases", "risk", SLUG, "--threshold", "0.25", "--team", "care"], capsys)
    assert code == 2 and "--team: no active author, agent or admin is in the team 'care'" in err
    code, _, err = run(["cases", "risk", SLUG, "--threshold", "1.5", "--owner", "agent@example.com"], capsys)
    assert code == 2 and "between 0 and 1" in err and "Traceback" not in err
    code, _, err = run(["cases", "risk", SLUG, "--owner", "agent@example.com"], capsys)
    assert code == 2 and "--threshold P" in err
    code, out, err = run(["cases", "risk", SLUG, "--threshold", "0.25", "--owner", "agent@example.com"], capsys)
    assert code == 0 and "25% or more opens a high case for agent@example.com" in out, err
    code, out, _ = run(["cases", "risk", SLUG, "--off"], capsys)
    assert code == 0 and "off" in out


def test_the_cx_lead_sets_the_threshold_on_a_page(app: Flask, db_url: str, programme: FlaskClient) -> None:
    assert programme.get(f"/cases/risk/{SLUG}").status_code == 403  # an agent works cases, does not set rules
    with open_session(db_url) as session:
        create_user(session, "lead@example.com", "author", PASSWORD)
    lead = sign_in_as(app, "lead@example.com")
    assert f"/cases/risk/{SLUG}" in lead.get("/cases/").get_data(as_text=True)
    page = lead.get(f"/cases/risk/{SLUG}").get_data(as_text=True)
    assert 'value="30"' in page and "No finished ROI analysis" in page  # the rule the fixture set, 0.3
    token = page_token(lead, f"/cases/risk/{SLUG}")
    form = {"threshold": "45", "owner": "agent@example.com", "priority": "urgent", "action": "save"}
    assert lead.post(f"/cases/risk/{SLUG}", data=form).status_code == 400  # no CSRF token: nothing changes
    refused = lead.post(f"/cases/risk/{SLUG}", data=form | {"threshold": "150", "csrf_token": token})
    assert refused.status_code == 400 and "a percentage between 1 and 99, not 150" in refused.get_data(as_text=True)
    assert lead.post(f"/cases/risk/{SLUG}", data=form | {"csrf_token": token}).status_code == 303
    analysed(db_url)
    page = lead.get(f"/cases/risk/{SLUG}").get_data(as_text=True)
    assert 'value="45"' in page and "retention model of q_ces" in page
    with open_session(db_url) as session:
        rule = session.scalar(sa.select(ChurnRiskRule))
        assert rule is not None and (rule.threshold, rule.priority, rule.set_by) == (0.45, "urgent", "lead@example.com")
    assert lead.post(f"/cases/risk/{SLUG}", data={"action": "off", "csrf_token": token}).status_code == 303
    with open_session(db_url) as session:
        assert session.scalar(sa.select(ChurnRiskRule)) is None
    assert lead.get("/cases/risk/no_such_survey").status_code == 404
