"""`cxroi mystery SLUG --visits FILE` (issue 11) as a user runs it, on SQLite and PostgreSQL: the complete
responses whose customer id is a visit of the file, compared per touchpoint; bad input is one line naming the
file and column (or the survey), exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.cli import run
from webapp.services import create_invitations, publish_survey
from webapp.services.responding import answer_page, start_personal

SLUG = "shops"
CHOICES = [{"code": "good", "label": "Good"}, {"code": "bad", "label": "Bad"},
           {"code": "as_expected", "label": "As expected"}]
DEFINITION: dict[str, Any] = {
    "id": SLUG, "title": "Mystery shop", "sections": [{"id": "steps", "title": "Steps", "questions": [
        {"id": "q_unexpected_advice", "type": "single_choice", "required": True, "text": "Advice?",
         "choices": CHOICES},
        {"id": "q_unexpected_buying", "type": "single_choice", "required": True, "text": "Buying?",
         "choices": CHOICES},
        {"id": "q_unexpected_note_advice", "type": "text", "text": "What happened?"}]}]}
# Five shops, two evaluators each. Advice: S1 and S2 bad for both evaluators, S3-S5 good for both (evaluators
# agree perfectly: kappa 1; shops split perfectly: V = 1). Buying: as expected everywhere (kappa undefined).
# V11 is in the file but never answered; V12 started and never submitted (partial: left out too).
SHOPS = ["S1", "S2", "S3", "S4", "S5"]
VISITS = [(f"V{2 * i + j + 1}", shop, evaluator) for i, shop in enumerate(SHOPS) for j, evaluator in
          enumerate(["Ann", "Bob"])]


@pytest.fixture
def seeded(db: Session, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    publish_survey(db, build_survey(DEFINITION))
    for visit, shop, _ in VISITS:
        [link] = create_invitations(db, SLUG, [visit], "email")
        response = start_personal(db, link.token)
        advice = "bad" if shop in ("S1", "S2") else "good"
        assert answer_page(db, response.id, 0, {"q_unexpected_advice": advice,
                                                "q_unexpected_buying": "as_expected"}).kind == "complete"
    [link] = create_invitations(db, SLUG, ["V12"], "email")
    start_personal(db, link.token)
    db.commit()
    path = tmp_path / "visits.csv"
    rows = [*VISITS, ("V11", "S1", "Cy"), ("V12", "S2", "Cy")]
    path.write_text("visit,shop,evaluator\n" + "".join(f"{v},{s},{e}\n" for v, s, e in rows), encoding="utf-8")
    return path


def test_json_ranks_the_touchpoints(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["mystery", SLUG, "--visits", str(seeded), "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert (report["visits"], report["shops"], report["evaluators"]) == (10, 5, 2)
    assert report["visits_without_response"] == ["V11", "V12"]
    assert "2 visit(s) without a complete response left out: V11, V12" in err
    advice, buying = report["touchpoints"]
    assert advice["touchpoint"] == "q_unexpected_advice"
    assert advice["agreement"] | {"reading": None} == {"kappa": 1.0, "reading": None, "shops": 5, "visits": 10,
                                                        "warning": None}
    assert advice["variation"]["cramers_v"] == 1.0
    assert (advice["variation"]["highest"], advice["variation"]["lowest"]) == (["S1", "S2"], ["S3", "S4", "S5"])
    assert buying["agreement"]["kappa"] is None and buying["variation"]["p_value"] is None


def test_text_table(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["mystery", SLUG, "--visits", str(seeded)], capsys)
    assert code == 0, err
    assert out.startswith("10 visits of 5 shops by 2 evaluators\n")
    advice = next(line for line in out.splitlines() if line.startswith("q_unexpected_advice "))
    assert "1.00" in advice and advice.endswith("S1, S2 100% / S3, S4, S5 0%")
    assert "q_unexpected_advice: almost perfect agreement" in out


def test_bad_input_is_one_line(seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["mystery", "nope", "--visits", str(seeded)], capsys)
    assert code == 2 and "no published survey is called 'nope'" in err and "Traceback" not in err

    no_shop = tmp_path / "no_shop.csv"
    no_shop.write_text("visit,evaluator\nV1,Ann\n", encoding="utf-8")
    code, _, err = run(["mystery", SLUG, "--visits", str(no_shop)], capsys)
    assert code == 2 and f"{no_shop}: missing column 'shop'" in err

    strangers = tmp_path / "strangers.csv"
    strangers.write_text("visit,shop,evaluator\nX1,S1,Ann\nX2,S1,Bob\n", encoding="utf-8")
    code, _, err = run(["mystery", SLUG, "--visits", str(strangers)], capsys)
    assert code == 2 and f"{strangers}: none of its 2 visits has a complete response" in err

    alone = tmp_path / "alone.csv"
    alone.write_text("visit,shop,evaluator\nV1,S1,Ann\nV3,S2,Ann\n", encoding="utf-8")
    code, _, err = run(["mystery", SLUG, "--visits", str(alone)], capsys)
    assert code == 2 and "column 'evaluator' names one evaluator only ('Ann')" in err
