"""`cxroi responses export SLUG -o FILE --language CODE` (issue 13): only the responses answered in that language,
through the CLI as a user runs it (`webapp.cli.main`, database from CXROI_DATABASE_URL), on SQLite and
PostgreSQL; a language the survey is not offered in is one line naming it and exit 2, with no file written."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from surveys.definition import build_survey
from tests.webapp.support.cli import run
from webapp.services import create_invitations, publish_survey
from webapp.services.responding import answer_page, start_personal

SLUG = "bilingual"
DEFINITION: dict[str, Any] = {
    "id": SLUG, "title": "Bilingual", "default_language": "en", "languages": ["en", "fr"],
    "sections": [{"id": "main", "title": {"en": "Us", "fr": "Nous"}, "questions": [
        {"id": "q_csat", "type": "csat", "required": True,
         "text": {"en": "How satisfied are you?", "fr": "Êtes-vous satisfait ?"}}]}]}
# (customer, language, CSAT, submitted?): French answers C1 (complete), C3 (complete) and C4 (partial: never
# submitted the only page); English C2.
PLAN = [("C1", "fr", 5, True), ("C2", "en", 2, True), ("C3", "fr", 4, True), ("C4", "fr", 1, False)]


@pytest.fixture
def seeded(db: Session, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    publish_survey(db, build_survey(DEFINITION))
    for customer, language, csat, submitted in PLAN:
        [link] = create_invitations(db, SLUG, [customer], "email")
        response = start_personal(db, link.token)
        if submitted:
            assert answer_page(db, response.id, 0, {"q_csat": str(csat)}, language=language).kind == "complete"
        else:  # started in French, nothing submitted
            response.language = language
    db.commit()
    return db_url


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_keeps_one_language(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "fr.csv"
    code, out, err = run(["responses", "export", SLUG, "-o", str(target), "--language", "fr"], capsys)
    assert code == 0, err
    assert out.strip() == f"wrote 3 responses answered in fr to {target}"
    rows = _rows(target)
    assert sorted((r["customer_id"], r["language"], r["status"], r["q_csat"]) for r in rows) == [
        ("C1", "fr", "complete", "5"), ("C3", "fr", "complete", "4"), ("C4", "fr", "partial", "")]

    code, _, err = run(["responses", "export", SLUG, "-o", str(target), "--language", "fr", "--status",
                        "complete"], capsys)
    assert code == 0, err
    assert sorted(r["customer_id"] for r in _rows(target)) == ["C1", "C3"]

    every = tmp_path / "every.csv"
    code, out, _ = run(["responses", "export", SLUG, "-o", str(every)], capsys)
    assert code == 0 and out.strip() == f"wrote 4 responses to {every}"
    assert sorted(r["customer_id"] for r in _rows(every)) == ["C1", "C2", "C3", "C4"]


@pytest.mark.parametrize(("language", "message"), [
    ("de", "error: language: 'de' is not one of the survey's languages (en, fr)"),
    ("  ", "--language: '  ' is empty"),
])
def test_an_unknown_language_is_refused_by_name(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               language: str, message: str) -> None:
    target = tmp_path / "out.csv"
    code, out, err = run(["responses", "export", SLUG, "-o", str(target), "--language", language], capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert out == "" and not target.exists()
