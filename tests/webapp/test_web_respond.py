"""The respondent flow through the Flask test client, on SQLite and PostgreSQL: personal and public links,
pages, progress, resume with answers pre-filled, show_if, idempotent submit, and the friendly link pages."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.webapp.support.web import (
    ANSWERS,
    PAGE_1,
    PAGE_2,
    csrf_token,
    example_survey,
    first_page_token,
    response_rows,
)
from webapp.services import close_survey, create_invitations, publish_survey
from webapp.services.invitations import sign_customer_id
from webapp.storage.models import Invitation, utcnow


def _link(db: Session, customer: str = "C1", **options: object) -> str:
    survey = example_survey()
    publish_survey(db, survey)
    [issued] = create_invitations(db, survey.id, [customer], "email", **options)  # type: ignore[arg-type]
    return f"/s/{issued.token}"


def test_personal_link_two_pages_then_thanks(client: FlaskClient, db: Session, db_url: str) -> None:
    url = _link(db)
    first = client.get(url)
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "Page 1 of 2" in html and "What we promised" in html and 'lang="en"' in html
    assert "Back" not in html  # no back link on the first page

    token = csrf_token(html)
    saved = client.post(url, data=PAGE_1 | {"csrf_token": token})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"{url}?page=1")
    second = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Page 2 of 2" in second and "Back to page 1" in second
    assert 'name="q_why"' in second  # q_ces = 3 <= 4, so the follow-up is shown

    done = client.post(url, data=PAGE_2 | {"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{url}/thanks")
    thanks = client.get(done.headers["Location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.get_data(as_text=True)

    [row] = response_rows(db_url)
    assert row["status"] == "complete" and row["customer_id"] == "C1" and row["channel"] == "email"
    assert row["answers"] == ANSWERS
    used_at = db.scalar(sa.select(Invitation.used_at))
    assert used_at is not None


def test_leaving_and_coming_back_resumes_with_answers_prefilled(app, db: Session, db_url: str) -> None:
    url = _link(db)
    first_visit = app.test_client()
    token = first_page_token(first_visit, url)
    assert first_visit.post(url, data=PAGE_1 | {"csrf_token": token}).status_code == 303

    later = app.test_client()  # a new browser: the personal link alone identifies the respondent
    resumed = later.get(url).get_data(as_text=True)
    assert "Page 2 of 2" in resumed
    back = later.get(f"{url}?page=0").get_data(as_text=True)
    # q_align.easy = 4 is the 4th option (index 3), q_ces = 3 the 3rd (index 2)
    assert 'checked id="q_align.easy-3"' in back and 'checked id="q_ces-2"' in back
    assert 'checked id="q_align.easy-2"' not in back
    skipping = later.get(f"{url}?page=5")
    assert skipping.status_code == 302 and skipping.headers["Location"].endswith("?page=1")


def test_show_if_on_an_earlier_page_hides_the_question(client: FlaskClient, db: Session, db_url: str) -> None:
    url = _link(db)
    token = first_page_token(client, url)
    client.post(url, data=PAGE_1 | {"q_ces": "6", "csrf_token": token})
    second = client.get(f"{url}?page=1").get_data(as_text=True)
    assert 'name="q_why"' not in second  # q_ces = 6 > 4
    # sending it anyway is a field the page does not have
    tampered = client.post(url, data=PAGE_2 | {"csrf_token": token})
    assert tampered.status_code == 400 and "q_why" in tampered.get_data(as_text=True)
    without = {k: v for k, v in PAGE_2.items() if k != "q_why"}
    assert client.post(url, data=without | {"csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert "q_why" not in row["answers"] and row["answers"]["q_ces"] == 6


def test_changing_an_earlier_answer_drops_a_hidden_later_answer(client: FlaskClient, db: Session,
                                                                 db_url: str) -> None:
    url = _link(db)
    token = first_page_token(client, url)
    client.post(url, data=PAGE_1 | {"csrf_token": token})
    # Submit page 2 with a required-free survey... first go back and change q_ces so q_why is hidden
    client.post(url, data=PAGE_1 | {"q_ces": "7", "csrf_token": token})
    page_2 = client.get(f"{url}?page=1").get_data(as_text=True)
    assert 'name="q_why"' not in page_2
    without = {k: v for k, v in PAGE_2.items() if k != "q_why"}
    assert client.post(url, data=without | {"csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert row["status"] == "complete" and "q_why" not in row["answers"]


def test_double_submit_and_second_tab_give_one_response_and_the_same_thanks(client: FlaskClient, db: Session,
                                                                            db_url: str) -> None:
    url = _link(db)
    token = first_page_token(client, url)
    assert client.post(url, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    assert client.post(url, data=PAGE_2 | {"csrf_token": token}).status_code == 303
    again = client.post(url, data=PAGE_2 | {"q_nps": "0", "csrf_token": token})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"{url}/thanks")
    assert client.get(again.headers["Location"]).status_code == 200
    rows = response_rows(db_url)
    assert len(rows) == 1 and rows[0]["answers"]["q_nps"] == 8  # the retry changed nothing
    revisit = client.get(url)
    assert revisit.status_code == 410 and "already answered" in revisit.get_data(as_text=True)


def test_unknown_expired_and_closed_links(client: FlaskClient, db: Session) -> None:
    unknown = client.get("/s/not-a-real-token-at-all")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)
    expired = _link(db, "C2", expires=utcnow() - timedelta(minutes=1))
    page = client.get(expired)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    fresh = _link(db, "C3")
    close_survey(db, "acme_relationship")
    closed = client.get(fresh)
    assert closed.status_code == 410 and "closed" in closed.get_data(as_text=True)
    assert client.get("/p/acme_relationship").status_code == 410
    assert client.get("/p/no_such_survey").status_code == 404


def test_public_link_tracks_the_respondent_by_session(app, db: Session, db_url: str) -> None:
    publish_survey(db, example_survey())
    browser = app.test_client()
    url = "/p/acme_relationship"
    token = first_page_token(browser, f"{url}?channel=chat")
    assert browser.post(url, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    assert "Page 2 of 2" in browser.get(url).get_data(as_text=True)  # resumes in the same browser
    other = app.test_client()
    other_token = first_page_token(other, url)
    assert "Page 1 of 2" in other.get(url).get_data(as_text=True)  # a new browser is a new respondent
    assert browser.post(url, data=PAGE_2 | {"csrf_token": token}).status_code == 303
    assert len(response_rows(db_url)) == 1  # opening the link stores nothing; the first POST does
    assert other.post(url, data=PAGE_1 | {"csrf_token": other_token}).status_code == 303
    rows = response_rows(db_url)
    assert len(rows) == 2
    done = [row for row in rows if row["status"] == "complete"]
    assert len(done) == 1 and done[0]["channel"] == "chat" and done[0]["customer_id"] is None
    assert done[0]["answers"] == ANSWERS
    assert browser.get(f"{url}/thanks").status_code == 200
    bad_channel = app.test_client().get(f"{url}?channel=fax")
    assert bad_channel.status_code == 400 and "unknown channel" in bad_channel.get_data(as_text=True)


def test_public_link_with_customer_id_parameter(app, db: Session, db_url: str) -> None:
    publish_survey(db, example_survey(customer_id_param="cid"))
    missing = app.test_client().get("/p/acme_relationship?channel=email")
    assert missing.status_code == 400 and "&#39;cid&#39;" in missing.get_data(as_text=True)
    browser = app.test_client()
    signed = sign_customer_id("test-secret", "acme_relationship", "CUST-77")  # the app fixture's SECRET_KEY
    token = first_page_token(browser, f"/p/acme_relationship?channel=email&cid={signed}")
    assert browser.post("/p/acme_relationship", data=PAGE_1 | {"csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert row["customer_id"] == "CUST-77" and row["channel"] == "email"


def test_new_version_does_not_move_a_started_response(client: FlaskClient, db: Session, db_url: str) -> None:
    url = _link(db)
    token = first_page_token(client, url)
    client.post(url, data=PAGE_1 | {"csrf_token": token})
    publish_survey(db, example_survey(title="Version two"))
    assert "How are we doing?" in client.get(url).get_data(as_text=True)  # still version 1's title
    assert client.post(url, data=PAGE_2 | {"csrf_token": token}).status_code == 303
    version = db.execute(sa.text(
        "select v.number from responses r join survey_versions v on v.id = r.version_id")).scalar_one()
    assert version == 1


def test_a_required_channel_grid_with_no_channel_used_does_not_block(client: FlaskClient, db: Session,
                                                                     db_url: str) -> None:
    from surveys.definition import build_survey

    survey = build_survey({
        "id": "channels", "title": "Channels",
        "channels": [{"id": "phone", "label": "Phone"}, {"id": "chat", "label": "Chat"}],
        "sections": [
            {"id": "used", "title": "Used", "questions": [
                {"id": "q_used", "type": "multi_choice", "text": "Which did you use?",
                 "choices": [{"code": "phone", "label": "Phone"}, {"code": "chat", "label": "Chat"}]}]},
            {"id": "rate", "title": "Rate", "questions": [
                {"id": "q_rate", "type": "channel_rating", "text": "How was each?", "required": True,
                 "used_channels_from": "q_used"}]},
        ],
    })
    publish_survey(db, survey)
    [issued] = create_invitations(db, "channels", ["C1"], "phone")
    url = f"/s/{issued.token}"
    token = first_page_token(client, url)
    assert client.post(url, data={"page": "0", "csrf_token": token}).status_code == 303  # used none
    page = client.get(f"{url}?page=1").get_data(as_text=True)
    assert "Nothing to rate here" in page and 'name="q_rate.' not in page
    assert client.post(url, data={"page": "1", "csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert row["status"] == "complete" and row["answers"] == {}


def test_submit_rechecks_every_page_after_an_earlier_answer_changed(client: FlaskClient, db: Session,
                                                                    db_url: str) -> None:
    from surveys.definition import build_survey

    survey = build_survey({"id": "recheck", "title": "Recheck", "sections": [
        {"id": "a", "title": "First", "questions": [{"id": "q_a", "type": "nps", "text": "Recommend?"}]},
        {"id": "b", "title": "Second", "questions": [
            {"id": "q_b", "type": "text", "text": "Why so low?", "required": True, "show_if": "q_a <= 6"}]},
        {"id": "c", "title": "Third", "questions": [{"id": "q_c", "type": "csat", "text": "Satisfied?"}]},
    ]})
    publish_survey(db, survey)
    [issued] = create_invitations(db, "recheck", ["C1"], None)
    url = f"/s/{issued.token}"
    token = first_page_token(client, url)
    assert client.post(url, data={"page": "0", "q_a": "9", "csrf_token": token}).status_code == 303
    assert client.post(url, data={"page": "1", "csrf_token": token}).status_code == 303  # q_b hidden
    # back to the first page: a low score now makes q_b required; then straight to the last page
    assert client.post(url, data={"page": "0", "q_a": "2", "csrf_token": token}).status_code == 303
    reply = client.post(url, data={"page": "2", "q_c": "4", "csrf_token": token})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "Page 2 of 3" in html and "this question needs an answer" in html
    [row] = response_rows(db_url)
    assert row["status"] == "partial" and row["answers"] == {"q_a": 2, "q_c": 4}
    assert client.post(url, data={"page": "1", "q_b": "Slow", "csrf_token": token}).status_code == 303
    assert client.post(url, data={"page": "2", "q_c": "4", "csrf_token": token}).status_code == 303
    [row] = response_rows(db_url)
    assert row["status"] == "complete" and row["answers"] == {"q_a": 2, "q_b": "Slow", "q_c": 4}
