"""Waves (issue 11): `cxroi wave start` creates a named wave and its invitations, each tagged with the wave; a
response through such a link records the wave; the export has the wave column; the contact rule leaves out
customers surveyed recently by any survey and lists them; the results by wave, with the change tests' numbers
worked out by hand. On SQLite and PostgreSQL (`db_url`)."""

from __future__ import annotations

import csv
import math
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roi.config import RoiConfig
from roi.inputs.responses import build_responses
from surveys.scoring.intervals import NPS_METHOD, T_MEAN, WILSON
from surveys.scoring.scorecard import MetricScore, Scorecard
from tests.webapp.support.cli import run
from tests.webapp.support.results import add_staff, sign_in
from tests.webapp.support.web import answer_all, example_survey, response_rows
from webapp.results.waves import (
    NPS_Z,
    TWO_PROPORTIONS,
    WELCH,
    build_wave_results,
    compare_means,
    compare_nps,
    compare_shares,
)
from webapp.services import create_invitations, export_responses, publish_survey
from webapp.services.customer_lists import read_customer_list
from webapp.services.invitations import recent_contacts
from webapp.services.waves import WaveError, start_wave
from webapp.storage.models import Invitation, MailMessage, Response, Wave, utcnow

SLUG = "acme_relationship"
OTHER = "other_survey"


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    monkeypatch.setenv("CXROI_BASE_URL", "https://survey.example.com")
    monkeypatch.setenv("CXROI_SECRET_KEY", "test-secret")
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("CXROI_QUEUE_URL", f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    monkeypatch.delenv("CXROI_CONTACT_DAYS", raising=False)
    monkeypatch.delenv("CXROI_MAIL_URL", raising=False)
    return tmp_path


def _customers(folder: Path, *ids: str, email: bool = False) -> Path:
    path = folder / "customers.csv"
    lines = ["customer_id,email" if email else "customer_id"]
    lines += [f"{i},{i.lower()}@example.com" if email else i for i in ids]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_wave_start_tags_invitations_and_the_answer_and_the_export(
        cli_env: Path, db: Session, db_url: str, client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    publish_survey(db, example_survey())
    links = cli_env / "links.csv"
    code, out, err = run(["wave", "start", SLUG, "--customers", str(_customers(cli_env, "C1", "C2")),
                          "--name", "Q3-2026", "--channel", "email", "-o", str(links)], capsys)
    assert code == 0, err
    assert "started wave 'Q3-2026' (number 1)" in out and "wrote 2 personal links" in out
    rows = list(csv.DictReader(links.open(encoding="utf-8")))
    assert [(r["customer_id"], r["wave"]) for r in rows] == [("C1", "Q3-2026"), ("C2", "Q3-2026")]

    db.expire_all()
    wave = db.scalars(sa.select(Wave)).one()
    assert (wave.name, wave.number, wave.channel, wave.contact_days) == ("Q3-2026", 1, "email", 90.0)
    assert sorted(tuple(row) for row in db.execute(sa.select(Invitation.customer_id, Invitation.wave_id))) == [
        ("C1", wave.id), ("C2", wave.id)]
    db.commit()  # end the read: SQLite sessions take the write lock (BEGIN IMMEDIATE)

    # the respondent answers through their link: the response records the wave
    url = "/s/" + rows[0]["url"].rsplit("/", 1)[1]
    assert answer_all(client, url).status_code == 303
    [stored] = response_rows(db_url)
    assert stored["status"] == "complete"
    assert db.scalar(sa.select(Response.wave_id)) == wave.id
    db.commit()

    # the export: the wave column right after the reserved ones, holding the wave's name
    exported = cli_env / "responses.csv"
    assert export_responses(db, SLUG, exported) == 1
    [row] = list(csv.DictReader(exported.open(encoding="utf-8")))
    assert list(row)[6:10] == ["status", "wave", "language", "q_align.easy"] and row["wave"] == "Q3-2026"
    parquet = cli_env / "responses.parquet"
    export_responses(db, SLUG, parquet)
    assert pd.read_parquet(parquet)["wave"].tolist() == ["Q3-2026"]
    db.commit()  # end the export's read: the command below needs the SQLite write lock

    # a second wave is number 2; its name must be new
    code, out, err = run(["wave", "start", SLUG, "--customers", str(_customers(cli_env, "C3")), "-o",
                          str(links), "--contact-days", "0"], capsys)
    assert code == 0 and "started wave 'wave-2' (number 2)" in out, err
    code, _, err = run(["wave", "start", SLUG, "--customers", str(_customers(cli_env, "C4")), "--name", "wave-2",
                        "-o", str(links)], capsys)
    assert code == 2 and "already has a wave called 'wave-2'" in err and "Traceback" not in err
    code, out, _ = run(["wave", "list", SLUG], capsys)
    assert code == 0 and "1\tQ3-2026\t" in out and "\t2\t1\t1" in out  # invited 2, 1 response, 1 complete


def _invite_other(db: Session, customer: str, days_ago: float) -> None:
    create_invitations(db, OTHER, [customer], "email")
    invitation = db.scalars(sa.select(Invitation).where(Invitation.customer_id == customer)).one()
    invitation.created_at = utcnow() - timedelta(days=days_ago)
    db.commit()


def test_contact_rule_skips_a_customer_invited_10_days_ago_by_another_survey(
        cli_env: Path, db: Session, capsys: pytest.CaptureFixture[str]) -> None:
    publish_survey(db, example_survey())
    publish_survey(db, example_survey(id=OTHER))
    _invite_other(db, "RECENT", 10)
    _invite_other(db, "LONG-AGO", 100)
    skipped_file = cli_env / "skipped.csv"
    code, out, err = run(["wave", "start", SLUG, "--customers", str(_customers(cli_env, "RECENT", "LONG-AGO", "NEW")),
                          "-o", str(cli_env / "links.csv"), "--skipped", str(skipped_file)], capsys)
    assert code == 0, err
    assert "wrote 2 personal links" in out
    assert "contact rule: left out 1 customer(s) surveyed in the last 90 days: RECENT (other_survey, " in out
    [skipped] = list(csv.DictReader(skipped_file.open(encoding="utf-8")))
    assert (skipped["customer_id"], skipped["survey"]) == ("RECENT", OTHER)
    db.expire_all()
    invited = db.scalars(sa.select(Invitation.customer_id).where(Invitation.wave_id.is_not(None))).all()
    assert sorted(invited) == ["LONG-AGO", "NEW"]
    db.commit()

    # the rule is per run (--contact-days) and per programme (CXROI_CONTACT_DAYS); 0 turns it off
    assert set(recent_contacts(db, ["RECENT", "LONG-AGO", "NEW"], 90)) == {"RECENT", "LONG-AGO", "NEW"}
    assert set(recent_contacts(db, ["RECENT", "LONG-AGO"], 5)) == {"LONG-AGO"}  # invited a moment ago above
    assert recent_contacts(db, ["RECENT"], 0) == {}


def test_contact_rule_on_cli_invite_and_send(cli_env: Path, db: Session, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    publish_survey(db, example_survey())
    publish_survey(db, example_survey(id=OTHER))
    _invite_other(db, "RECENT", 10)
    monkeypatch.setenv("CXROI_CONTACT_DAYS", "30")
    code, out, err = run(["wave", "start", SLUG, "--customers",
                          str(_customers(cli_env, "RECENT", "FRESH", email=True)), "--send"], capsys)
    assert code == 0, err
    assert "queued 1 invitation e-mails" in out and "last 30 days: RECENT" in out
    db.expire_all()
    wave = db.scalars(sa.select(Wave)).one()
    [(customer, wave_id)] = db.execute(sa.select(Invitation.customer_id, Invitation.wave_id)
                                       .join(MailMessage, MailMessage.invitation_id == Invitation.id)).all()
    assert (customer, wave_id) == ("FRESH", wave.id)
    db.commit()
    monkeypatch.setenv("CXROI_CONTACT_DAYS", "5")
    code, out, err = run(["wave", "start", SLUG, "--customers", str(_customers(cli_env, "RECENT", email=True)),
                          "--send"], capsys)
    assert code == 0 and "queued 1 invitation e-mails" in out and "contact rule" not in out, err


def test_a_bad_list_or_name_stores_nothing(db: Session) -> None:
    publish_survey(db, example_survey())
    bad = read_customer_list(b"customer_id\nC1\nC1\n")
    with pytest.raises(WaveError, match="row 3: duplicate customer id"):
        start_wave(db, SLUG, bad)
    with pytest.raises(WaveError, match="wave name"):
        start_wave(db, SLUG, read_customer_list(b"customer_id\nC1\n"), name="bad/name")
    assert db.scalar(sa.select(sa.func.count()).select_from(Wave)) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_roi_input_ignores_the_wave_column() -> None:
    raw = pd.DataFrame({"response_id": [1, 2], "customer_id": ["a", "b"], "status": ["complete"] * 2,
                        "wave": ["Q1", "Q2"], "q1": [3.0, 4.0]})
    table = build_responses(raw, RoiConfig())
    assert [m.column for m in table.metrics] == ["q1"] and "wave" not in table.text_columns


# --- the change tests, by hand ------------------------------------------------------------------------------


def _metric(name: str, estimate: float, low: float | None, high: float | None, n: int, method: str) -> MetricScore:
    return MetricScore(name, name, "x", estimate, low, high, n, method)


def test_welch_on_hand_worked_means() -> None:
    # wave 1 answers 1, 2, 3 (mean 2, sd 1); wave 2 answers 3, 4, 5 (mean 4, sd 1); n = 3 each.
    # t = (4 - 2) / sqrt(1/3 + 1/3) = sqrt(6) = 2.449490; Welch df = (2/3)^2 / (2 * (1/3)^2 / 2) = 4.
    # t with 4 df: F(t) = 1/2 + 3/4 (x - x^3/3), x = t / sqrt(t^2 + 4) = sqrt(0.6); p = 2 (1 - F(t)).
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n): the intervals the scoring prints
    before = _metric("m", 2.0, 1.0, 2.0 + half, 3, T_MEAN)  # clamped to the 1–7 scale below
    after = _metric("m", 4.0, 4.0 - half, 4.0 + half, 3, T_MEAN)
    x = math.sqrt(0.6)
    expected_p = 2 * (1 - (0.5 + 0.75 * (x - x ** 3 / 3)))
    change = compare_means(before, after)
    assert change.method == WELCH
    assert change.difference == pytest.approx(2.0)
    assert change.statistic == pytest.approx(math.sqrt(6), rel=1e-9)
    assert change.p_value == pytest.approx(expected_p, rel=1e-9)
    assert expected_p == pytest.approx(0.070484, abs=1e-6) and change.larger_than_chance is False


def test_two_proportions_on_hand_worked_shares() -> None:
    # 30 of 100 then 45 of 100: pooled p = 0.375; se = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = 0.0684653;
    # z = 0.15 / se = 2.190890; p = erfc(z / sqrt 2) = 0.028460
    change = compare_shares(_metric("s", 30.0, 0, 0, 100, WILSON), _metric("s", 45.0, 0, 0, 100, WILSON))
    z = 0.15 / math.sqrt(0.375 * 0.625 * 0.02)
    assert change.method == TWO_PROPORTIONS
    assert change.statistic == pytest.approx(z, rel=1e-9) and z == pytest.approx(2.190890, abs=1e-6)
    assert change.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert change.larger_than_chance is True
    nothing = compare_shares(_metric("s", 0.0, 0, 0, 5, WILSON), _metric("s", 0.0, 0, 0, 7, WILSON))
    assert nothing.p_value is None and "nothing to test" in (nothing.note or "")


def test_nps_difference_on_hand_worked_answers() -> None:
    # wave 1: 10, 9, 5, 3 -> pP = 0.5, pD = 0.5, NPS 0, var = 0.5 + 0.5 - 0 = 1, / 4 = 0.25
    # wave 2: 10, 10, 10, 7 -> pP = 0.75, pD = 0, NPS 75, var = 0.75 - 0.5625 = 0.1875, / 4 = 0.046875
    # z = 0.75 / sqrt(0.296875) = 1.376494
    def card(promoters: float, detractors: float, nps: float) -> tuple[MetricScore, Scorecard]:
        metric = _metric("q:nps", nps, None, None, 4, NPS_METHOD)
        return metric, Scorecard("s", 4, 4, False, overall=(
            metric, _metric("q:promoters", promoters, None, None, 4, WILSON),
            _metric("q:detractors", detractors, None, None, 4, WILSON)))

    (before, before_card), (after, after_card) = card(50, 50, 0), card(75, 0, 75)
    change = compare_nps(before, after, before_card, after_card)
    z = 0.75 / math.sqrt(0.25 + 0.046875)
    assert change.method == NPS_Z and z == pytest.approx(1.376494, abs=1e-6)
    assert change.statistic == pytest.approx(z, rel=1e-9)
    assert change.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)


def _respond(db: Session, wave: int, customer: str, ces: int) -> None:
    invitation = db.scalars(sa.select(Invitation).where(Invitation.customer_id == customer,
                                                        Invitation.wave_id == wave)).one()
    now = utcnow()
    db.add(Response(version_id=invitation.version_id, invitation_id=invitation.id, customer_id=customer,
                    channel=invitation.channel, status="complete", answers={"q_ces": ces}, current_page=1,
                    started_at=now, updated_at=now, submitted_at=now))
    db.commit()


def test_results_by_wave_with_hand_worked_change(db: Session, db_url: str, app: object,
                                                  client: FlaskClient) -> None:
    publish_survey(db, example_survey())
    one = start_wave(db, SLUG, read_customer_list(b"customer_id\nA1\nA2\nA3\n"), name="spring", channel="email")
    two = start_wave(db, SLUG, read_customer_list(b"customer_id\nA1\nA2\nA3\n"), name="autumn", channel="email")
    for customer, ces in (("A1", 1), ("A2", 2), ("A3", 3)):
        _respond(db, one.wave_id, customer, ces)
    for customer, ces in (("A1", 3), ("A2", 4), ("A3", 5)):
        _respond(db, two.wave_id, customer, ces)
    assert db.scalars(sa.select(Response.wave_id).order_by(Response.id)).all() == [one.wave_id] * 3 + [two.wave_id] * 3
    db.commit()

    results = build_wave_results(db, SLUG)
    assert results is not None and [(w.name, w.complete) for w in results.waves] == [("spring", 3), ("autumn", 3)]
    rows = {row.name: row for row in results.rows}
    mean = rows["q_ces:mean"]
    assert [s.estimate for s in mean.scores if s] == [2.0, 4.0]
    change = mean.changes[1]
    assert change is not None and change.method == WELCH
    assert change.statistic == pytest.approx(math.sqrt(6), rel=1e-9)
    assert change.p_value == pytest.approx(0.070484, abs=1e-6)
    easy = rows["q_ces:easy"].changes[1]  # found it easy (5–7): 0 of 3, then 1 of 3
    # pooled p = 1/6; z^2 = (1/3)^2 / ((1/6)(5/6)(2/3)) = 1.2; p = erfc(sqrt(1.2 / 2))
    assert easy is not None and easy.method == TWO_PROPORTIONS
    assert easy.statistic == pytest.approx(math.sqrt(1.2), rel=1e-9)
    assert easy.p_value == pytest.approx(math.erfc(math.sqrt(0.6)), rel=1e-9)
    db.commit()

    # the results page shows the table (analyst role)
    add_staff(db_url)
    sign_in(client, "analyst@example.com")
    page = client.get(f"/results/{SLUG}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="wave-comparison"' in html and "spring" in html and "autumn" in html
    assert "Welch" in html and "+2.00" in html
