"""`cxroi analyze --survey SLUG`: responses and definition straight from a real (SQLite) cxroi database."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from surveys.definition import build_survey
from webapp.cli import main
from webapp.services import create_invitations, publish_survey
from webapp.services.responding import answer_page, start_personal
from webapp.storage.engine import create_engine_for, session_factory, upgrade_database

ROOT = Path(__file__).resolve().parents[2]
SLUG = "acme_relationship"


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as done:
            code = int(done.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def answered_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, int]]:
    """80 customers answered the example survey through the respondent service; 20 more never did."""
    url = f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"
    upgrade_database(url)
    monkeypatch.setenv("CXROI_DATABASE_URL", url)
    survey = build_survey(yaml.safe_load((ROOT / "examples" / "relationship.yaml").read_text(encoding="utf-8")))
    rng = np.random.default_rng(5)
    ces_of: dict[str, int] = {}
    engine = create_engine_for(url)
    with session_factory(engine)() as db:
        publish_survey(db, survey)
        for i in range(80):
            customer = f"K{i:03d}"
            ces = int(rng.integers(1, 8))
            ces_of[customer] = ces
            [link] = create_invitations(db, SLUG, [customer], "email")
            response = start_personal(db, link.token)
            pages = [{"q_align": {"easy": str(rng.integers(1, 6)), "partner": str(rng.integers(1, 6))},
                      "q_ces": str(ces)},
                     {"q_nps": str(rng.integers(0, 11))}]
            for index, raw in enumerate(pages):
                assert answer_page(db, response.id, index, raw).kind in ("saved", "complete")
    engine.dispose()
    # churn falls with effort score: 70% at CES 1 down to 10% at CES 7
    customers = [*ces_of, *(f"N{i:03d}" for i in range(20))]
    churned = [int(rng.random() < 0.8 - 0.1 * ces_of.get(c, 4)) for c in customers]
    outcomes = pd.DataFrame({"customer_id": customers, "churned": churned,
                             "tenure_months": rng.integers(1, 60, len(customers)),
                             "revenue": rng.integers(500, 5000, len(customers))})
    path = tmp_path / "outcomes.csv"
    outcomes.to_csv(path, index=False)
    return path, ces_of


def test_analyze_reads_responses_and_definition_from_the_database(answered_database: tuple[Path, dict[str, int]],
                                                                  tmp_path: Path) -> None:
    outcomes, ces_of = answered_database
    config = tmp_path / "roi.yaml"
    config.write_text("bootstrap: 10\nscenario: {metric: ces, delta: 1}\n")
    code, out, err = run("analyze", "--survey", SLUG, "--outcomes", outcomes, "--config", config,
                         "-o", tmp_path / "results.json")
    assert code == 0, err
    results = json.loads((tmp_path / "results.json").read_text())
    quality = results["data_quality"]
    assert (quality["respondents"], quality["customers"], quality["matched"]) == (80, 100, 80)
    assert results["inputs"]["files"]["responses"]["name"] == f"survey:{SLUG}"
    metrics = {m["name"]: m for m in results["metrics"]}
    assert {"bas", "ces", "nps", "q_align.easy", "q_align.partner"} <= set(metrics)
    assert metrics["ces"]["n"] == 80
    assert metrics["ces"]["mean"] == pytest.approx(sum(ces_of.values()) / 80)


def test_analyze_survey_unknown_slug_is_a_clear_error(answered_database: tuple[Path, dict[str, int]],
                                                      tmp_path: Path) -> None:
    outcomes, _ = answered_database
    code, _, err = run("analyze", "--survey", "no_such_survey", "--outcomes", outcomes, "-o", tmp_path / "r.json")
    assert code != 0 and "no_such_survey" in err and "Traceback" not in err
