"""Themes on the web (issue 17): codebooks stored per survey as versions, responses coded and exported with one
0/1 column per theme (CSV, XLSX, Parquet), the themes page (escaped, searchable) and the codebook editor
(authors only, CSRF, conflicts refused), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roi.themes.codebook import add_theme, to_yaml
from roi.themes.planted import VOCABULARY, planted_comments
from surveys.definition import build_survey
from webapp.accounts.service import create_user
from webapp.extensions import get_db
from webapp.services import export_responses, publish_survey
from webapp.services.importing import import_responses
from webapp.themes import service
from webapp.themes import views as theme_views

SLUG = "themed"
PASSWORD = "correct horse battery"
DEFINITION = {
    "id": SLUG, "title": "What should we change?",
    "sections": [{"id": "main", "title": "Your view", "questions": [
        {"id": "q_nps", "type": "nps", "text": "How likely are you to recommend us?"},
        {"id": "q_comment", "type": "text", "text": "What is the one thing we should change?"}]}],
}
MARKUP = "The courier left <script>alert('x')</script> no note & the parcel was late"


def _seed(session: Session, customers: int = 300) -> pd.DataFrame:
    publish_survey(session, build_survey(DEFINITION))
    planted = planted_comments(customers, seed=5).responses
    table = pd.DataFrame({"response_id": planted["response_id"], "customer_id": planted["customer_id"],
                          "status": "complete", "q_nps": "7", "q_comment": planted["q_comment"]})
    table.loc[0, "q_comment"] = MARKUP
    table.loc[1, "q_comment"] = "Personne ne répond au téléphone, c'est vraiment décevant."
    import_responses(session, SLUG, table)
    return table


def _has_word(text: object, word: str) -> int:
    return int(isinstance(text, str) and re.search(rf"(?<!\w){word}(?!\w)", text.casefold()) is not None)


@pytest.fixture
def seeded(app: Flask) -> pd.DataFrame:
    with app.app_context():
        session = get_db()
        table = _seed(session)
        for role in ("analyst", "author"):
            create_user(session, f"{role}@example.com", role, PASSWORD)
        session.commit()
        return table


def _sign_in(client: FlaskClient, role: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_codebook_versions_coding_and_export_columns(app: Flask, seeded: pd.DataFrame, tmp_path: Path) -> None:
    with app.app_context():
        db = get_db()
        record, found = service.discover(db, SLUG, themes=len(VOCABULARY), seed=0, by="author@example.com")
        assert record.version == 1 and len(found.codebook.themes) == len(VOCABULARY)
        # a keyword theme whose coding is known by hand: every comment with the word "parcel"
        first = service.current_codebook(db, SLUG)
        second = service.save_codebook(db, SLUG, add_theme(first, "Parcel", keywords=["parcel"]), based_on=1)
        assert second.version == 2 and service.current_codebook(db, SLUG).version == 2
        with pytest.raises(service.CodebookConflict):  # an edit of version 1 made after version 2 was saved
            service.save_codebook(db, SLUG, add_theme(first, "Other", keywords=["x"]), based_on=1)
        assert service.code_responses(db, SLUG) == len(seeded)
        assert service.code_responses(db, SLUG) == 0  # nothing new: nothing coded again

        expected = seeded["q_comment"].map(lambda t: _has_word(t, "parcel")).tolist()
        for suffix in (".csv", ".xlsx", ".parquet"):
            path = tmp_path / f"out{suffix}"
            export_responses(db, SLUG, path)
            if suffix == ".csv":
                with path.open(newline="", encoding="utf-8") as handle:
                    rows = list(csv.DictReader(handle))
                got = [int(r["theme.parcel"]) for r in rows]
                theme_columns = [c for c in rows[0] if c.startswith("theme.")]
            elif suffix == ".xlsx":
                sheet = openpyxl.load_workbook(path, read_only=True)["responses"]
                values = list(sheet.values)
                got = [row[values[0].index("theme.parcel")] for row in values[1:]]
            else:
                table = pq.read_table(path)
                assert str(table.schema.field("theme.parcel").type) == "int8"
                got = table.column("theme.parcel").to_pylist()
            assert got == expected, suffix
        assert len(theme_columns) == len(VOCABULARY) + 1
        # every coded comment of the planted data mentions at least one theme; blank ones none
        frame = pq.read_table(tmp_path / "out.parquet").to_pandas()
        coded = frame[theme_columns].sum(axis=1)
        assert (coded[frame["q_comment"].isna()] == 0).all()
        assert (coded[frame["q_comment"].notna()] >= 1).mean() > 0.95


def test_import_of_a_bad_codebook_names_the_problem_and_stores_nothing(app: Flask, seeded: pd.DataFrame) -> None:
    with app.app_context():
        db = get_db()
        with pytest.raises(service.HostingError, match=r"book.yaml: themes\[0\].name"):
            service.import_codebook(db, SLUG, "themes:\n  - {id: a, name: ''}\n", source="book.yaml")
        assert service.current_record(db, SLUG) is None
        saved = service.import_codebook(db, SLUG, "themes:\n  - {id: parcel, name: Parcel, keywords: [parcel]}\n")
        assert saved.version == 1 and service.current_codebook(db, SLUG).theme("parcel").keywords == ("parcel",)


def test_themes_page_and_editor(client: FlaskClient, seeded: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    _sign_in(client, "analyst")
    page = client.get(f"/results/{SLUG}/themes")
    assert page.status_code == 200 and "No codebook has been made" in page.get_data(as_text=True)
    assert client.get(f"/themes/{SLUG}/codebook").status_code == 403  # analysts read, authors edit
    client.post("/logout", data={"csrf_token": _token(page.get_data(as_text=True))})

    _sign_in(client, "author")
    editor = client.get(f"/themes/{SLUG}/codebook").get_data(as_text=True)
    assert client.post(f"/themes/{SLUG}/codebook/discover",
                       data={"discover-themes": "5", "discover-seed": "0", "discover-based_on": "0"}).status_code == 400
    done = client.post(f"/themes/{SLUG}/codebook/discover", data={
        "csrf_token": _token(editor), "discover-themes": "5", "discover-seed": "0", "discover-based_on": "0"})
    assert done.status_code == 303
    editor = client.get(f"/themes/{SLUG}/codebook").get_data(as_text=True)
    assert "Version 1 in use, 5 theme(s)" in editor
    theme_id = re.search(r'id="h-([a-z0-9_]+)"', editor).group(1)
    renamed = client.post(f"/themes/{SLUG}/codebook/{theme_id}/rename", data={
        "csrf_token": _token(editor), f"{theme_id}-rename-name": "Reaching <a person>",
        f"{theme_id}-rename-based_on": "1"})
    assert renamed.status_code == 303
    stale = client.post(f"/themes/{SLUG}/codebook/{theme_id}/rename", data={
        "csrf_token": _token(editor), f"{theme_id}-rename-name": "Stale edit", f"{theme_id}-rename-based_on": "1"})
    assert stale.status_code == 409 and "now at version 2" in stale.get_data(as_text=True)
    empty = client.post(f"/themes/{SLUG}/codebook/{theme_id}/rename", data={
        "csrf_token": _token(editor), f"{theme_id}-rename-name": "", f"{theme_id}-rename-based_on": "2"})
    assert empty.status_code == 400 and 'aria-invalid="true"' in empty.get_data(as_text=True)
    import_token = re.search(r'name="import-csrf_token"[^>]*value="([^"]+)"', editor).group(1)
    bad = client.post(f"/themes/{SLUG}/codebook/import", data={
        "import-csrf_token": import_token, "import-based_on": "2",
        "import-file": (io.BytesIO(b"themes: ["), "book.yaml")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "book.yaml: not valid YAML" in bad.get_data(as_text=True)
    tokenless = client.post(f"/themes/{SLUG}/codebook/import", data={
        "import-based_on": "2", "import-file": (io.BytesIO(b"themes: []"), "book.yaml")},
        content_type="multipart/form-data")
    assert tokenless.status_code == 400 and "security token is missing" in tokenless.get_data(as_text=True)

    page = client.get(f"/results/{SLUG}/themes").get_data(as_text=True)
    assert "Reaching &lt;a person&gt;" in page and "<a person>" not in page
    marked = client.get(f"/results/{SLUG}/themes", query_string={"q": "<script>"}).get_data(as_text=True)
    assert "1 comment(s) contain “&lt;script&gt;”" in marked
    assert "&lt;script&gt;alert" in marked and "<script>alert" not in marked
    found = client.get(f"/results/{SLUG}/themes", query_string={"q": "personne"}).get_data(as_text=True)
    assert "1 comment(s) contain “personne”" in found
    assert "not available (fr)" in found  # the French comment has no sentiment
    download = client.get(f"/themes/{SLUG}/codebook.yaml")
    assert download.status_code == 200 and b"Reaching <a person>" in download.data
    assert client.get(f"/themes/{SLUG}/codebook.yaml?version=1").data != download.data
    assert client.get("/results/nosuch/themes").status_code == 404
    # an upload over the codebook limit (made 1 MiB here; 20 MiB by default): the editor says so (413), nothing
    # is stored
    monkeypatch.setattr(theme_views, "CODEBOOK_LIMIT", 1024 * 1024)
    terms = [f"term{i:06d}" for i in range(60_000)]
    big = yaml.safe_dump({"vocabulary": terms, "idf": [1.5] * len(terms), "weights": [{terms[0]: 1.0}],
                          "themes": [{"id": "big", "name": "Big", "components": [0]}]}).encode()
    assert len(big) > 1024 * 1024
    refused = client.post(f"/themes/{SLUG}/codebook/import", data={
        "import-csrf_token": import_token, "import-based_on": "2", "import-file": (io.BytesIO(big), "big.yaml")},
        content_type="multipart/form-data")
    assert refused.status_code == 413 and "larger than this server accepts" in refused.get_data(as_text=True)
    assert "Version 2 in use" in client.get(f"/themes/{SLUG}/codebook").get_data(as_text=True)


@pytest.mark.parametrize("url", [f"/results/{SLUG}/themes", f"/themes/{SLUG}/codebook", f"/themes/{SLUG}/codebook.yaml"])
def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code in (302, 303)


def test_yaml_of_the_stored_codebook_is_what_was_saved(app: Flask, seeded: pd.DataFrame) -> None:
    with app.app_context():
        db = get_db()
        _, found = service.discover(db, SLUG, themes=3, seed=2)
        stored = service.current_codebook(db, SLUG)
        assert to_yaml(stored) == service.codebook_yaml(db, SLUG)
        assert stored.themes == found.codebook.themes and stored.weights == found.codebook.weights


def test_the_roi_analysis_of_a_survey_codes_with_its_codebook(app: Flask, seeded: pd.DataFrame, tmp_path: Path) -> None:
    from webapp.services.analysis import analyze_published_survey

    outcomes = tmp_path / "outcomes.csv"
    planted_comments(len(seeded), seed=5).outcomes.to_csv(outcomes, index=False)
    with app.app_context():
        db = get_db()
        service.import_codebook(db, SLUG, "themes:\n  - {id: parcel, name: Parcel, keywords: [parcel]}\n")
        results = analyze_published_survey(db, SLUG, outcomes=outcomes, seed=0).to_dict()
    themes = results["themes"]
    assert themes["codebook"]["source"] == "given" and themes["codebook"]["version"] == 1
    [parcel] = themes["themes"]
    assert parcel["customers"] == sum(_has_word(t, "parcel") for t in seeded["q_comment"])


def test_only_new_or_changed_comments_are_coded_again_and_erasing_a_response_erases_its_coding(
        app: Flask, seeded: pd.DataFrame) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from webapp.storage.models import Response, utcnow
    from webapp.themes.models import ResponseThemes

    with app.app_context():
        db = get_db()
        service.import_codebook(db, SLUG, "themes:\n  - {id: parcel, name: Parcel, keywords: [parcel]}\n")
        assert service.code_responses(db, SLUG) == len(seeded)
        first, second = db.scalars(sa.select(Response).order_by(Response.id).limit(2)).all()
        later = utcnow() + timedelta(seconds=5)
        first.answers = {**first.answers, "q_comment": "All good now"}  # it mentioned the parcel before
        first.updated_at = later
        second.updated_at = later  # updated, but its comment is the same: not coded again
        db.commit()
        assert service.code_responses(db, SLUG) == 1
        coding = db.scalar(sa.select(ResponseThemes).where(ResponseThemes.response_id == first.id))
        assert coding.themes == [] and coding.sentiment_status == "scored"
        assert service.code_responses(db, SLUG) == 0
        db.execute(sa.delete(Response).where(Response.id == first.id))
        db.commit()
        assert db.scalar(sa.select(sa.func.count()).select_from(ResponseThemes)
                         .where(ResponseThemes.response_id == first.id)) == 0


def test_themes_page_shows_each_waves_share(client: FlaskClient, app: Flask, seeded: pd.DataFrame) -> None:
    import sqlalchemy as sa

    from webapp.storage.models import Response, SurveyRecord, SurveyVersion, Wave

    with app.app_context():
        db = get_db()
        survey = db.scalar(sa.select(SurveyRecord).where(SurveyRecord.slug == SLUG))
        version = db.scalar(sa.select(SurveyVersion).where(SurveyVersion.survey_id == survey.id))
        waves = [Wave(survey_id=survey.id, version_id=version.id, number=n, name=f"Q{n}") for n in (1, 2)]
        db.add_all(waves)
        db.flush()
        responses = db.scalars(sa.select(Response).order_by(Response.id)).all()
        for index, response in enumerate(responses):
            response.wave_id = waves[index % 2].id
        db.commit()
        service.import_codebook(db, SLUG, "themes:\n  - {id: parcel, name: Parcel, keywords: [parcel]}\n")
    # worked out from the seeded comments: who mentions "parcel", by wave (alternating rows)
    comments = seeded["q_comment"]
    expected = {}
    for wave in (0, 1):
        in_wave = [t for i, t in enumerate(comments) if i % 2 == wave and isinstance(t, str) and t.strip()]
        expected[f"Q{wave + 1}"] = (sum(_has_word(t, "parcel") for t in in_wave), len(in_wave))
    _sign_in(client, "analyst")
    page = client.get(f"/results/{SLUG}/themes").get_data(as_text=True)
    table = page[page.index('id="theme-waves"'):]
    for name, (mentions, commenters) in expected.items():
        assert f"{name} ({commenters} commenters)" in table
        assert f"{mentions / commenters * 100:.1f}%" in table
