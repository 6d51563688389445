"""`cxroi demo --no-serve` does the whole job end to end on SQLite; its printed links and logins work."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pandas as pd
import pytest

from webapp.app import create_app
from webapp.cli import main


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("CXROI_DATABASE_URL", raising=False)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["demo", "--no-serve", "--customers", "400", "--seed", "3", "--out", str(out)])
        raise SystemExit(0)
    printed = capsys.readouterr().out
    assert done.value.code in (0, None), printed

    # the report and results exist, and results match the synthetic data the demo wrote
    assert (out / "roi-report.pdf").read_bytes().startswith(b"%PDF")
    results = json.loads((out / "results.json").read_text())
    responses = pd.read_csv(out / "data" / "responses.csv", dtype=str)
    outcomes = pd.read_csv(out / "data" / "outcomes.csv", dtype=str)
    # the analysis reads the stored complete responses, one respondent per customer
    latest = responses[responses["status"] == "complete"].drop_duplicates("customer_id")
    assert results["data_quality"]["respondents"] == latest["customer_id"].nunique()
    assert results["data_quality"]["matched"] == latest["customer_id"].isin(outcomes["customer_id"]).sum()
    assert results["inputs"]["survey"]["id"] == "demo_relationship"

    # the printed personal link opens the survey; the printed author login signs in
    app = create_app({"TESTING": True})
    client = app.test_client()
    link = re.search(r"respondent link \(personal, single use\): http://[^/]+(/s/\S+)", printed)
    assert link is not None, printed
    page = client.get(link.group(1))
    assert page.status_code == 200 and "How are we doing?" in page.get_data(as_text=True)
    public = re.search(r"public link:\s+http://[^/]+(/p/\S+)", printed)
    assert public is not None, printed
    opened = client.get(public.group(1))
    assert opened.status_code == 200 and "How are we doing?" in opened.get_data(as_text=True)
    # every printed URL answers: the front page sends a visitor to sign in, the sign-in page is there
    assert client.get("/").status_code == 302 and client.get("/login").status_code == 200
    login = re.search(r"author\s+(\S+)\s+password: (\S+)", printed)
    assert login is not None
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token is not None
    signed_in = client.post("/login", data={"email": login.group(1), "password": login.group(2),
                                            "csrf_token": token.group(1)})
    assert signed_in.status_code == 302

    # the programme: a wave whose invitations were captured (the personal link in each opens the survey), and a
    # follow-up case the printed agent login can open, its owner's notification captured too
    import email
    import email.policy

    assert "started wave 'demo wave 1': 3 invitation e-mails" in printed
    invitation = email.message_from_bytes((out / "mail" / "invitation-demo-wave-1.eml").read_bytes(),
                                          policy=email.policy.default)
    assert "ada@example.com" in str(invitation["To"]) and invitation["List-Unsubscribe"]
    wave_link = re.search(r"http://[^/\s]+(/s/[A-Za-z0-9_-]+)",
                          invitation.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert wave_link is not None and client.get(wave_link.group(1)).status_code == 200
    case = re.search(r"follow-up case (\d+) for customer (\S+) .*?(/cases/\d+)", printed)
    assert case is not None, printed
    assert (out / "mail" / f"case-{case.group(1)}-notification.eml").exists()
    agent = re.search(r"agent\s+(\S+)\s+password: (\S+)", printed)
    assert agent is not None
    staff = app.test_client()
    form = staff.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token is not None
    assert staff.post("/login", data={"email": agent.group(1), "password": agent.group(2),
                                      "csrf_token": token.group(1)}).status_code == 302
    detail = staff.get(case.group(3))
    assert detail.status_code == 200 and case.group(2) in detail.get_data(as_text=True)


def test_demo_refuses_a_busy_port_before_changing_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("CXROI_DATABASE_URL", raising=False)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setenv("PORT", str(port))  # PORT= is the make demo way of choosing the port
        with pytest.raises(SystemExit) as done:
            main(["demo", "--customers", "100", "--out", str(tmp_path / "out")])
    assert done.value.code not in (0, None)
    error = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use" in error and "--port" in error
    assert not (tmp_path / "out").exists() and not (tmp_path / "instance").exists()  # nothing was done
