"""E-mail distribution (webapp/services/mailing.py) against a real SMTP server on 127.0.0.1 (aiosmtpd, started
here on a free port): the customers file's e-mail columns, queueing, sending exactly once, the link in each
delivered mail opening that customer's survey, unsubscribe, reminders to non-responders only, refusals."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from tests.webapp.support.smtp import Sink, body, personal_link, unsubscribe_path
from tests.webapp.support.web import answer_all, example_survey, free_port
from webapp.services import publish_survey
from webapp.services.customer_lists import read_customer_list
from webapp.services.errors import HostingError
from webapp.services.mailing import (
    MailError,
    MailSettings,
    MailTemplates,
    message_states,
    opt_out,
    queue_invitations,
    queue_reminders,
    save_templates,
    send_pending,
)
from webapp.storage.models import MailMessage

SECRET = "test-secret"
BASE = "http://localhost"
SLUG = "acme_relationship"
CUSTOMERS = (b"customer_id,email,name,language\n"
             b"C1,ann@example.com,Ann Archer,en\n"
             b"C2,bob@example.com,Bob <b>Builder</b>,en\n"
             b"C3,cat@example.com,,de\n")


def settings(url: str | None) -> MailSettings:
    return MailSettings(url, "CX team <cx@example.com>", BASE, SECRET)


def published(db: Session) -> None:
    publish_survey(db, example_survey())


def queued(db: Session, content: bytes = CUSTOMERS) -> list[int]:
    listed = read_customer_list(content, name="customers.csv")
    return queue_invitations(db, SLUG, listed, "email", SECRET).message_ids


def test_customer_file_columns_are_checked_per_row() -> None:
    listed = read_customer_list(b"customer_id,email,name,language,phone\n"
                                b"C1,ann@example.com,Ann,en,+44 20 7946 0000\n"
                                b"C2,not-an-address,Bob,en,\n"
                                b"C3,cat@example.com,,xx-toolong-language-code,\n"
                                b"C4,dan@example.com,Dan,,call me\n")
    assert listed.columns == ("email", "name", "language", "phone")
    assert listed.rows[0].email == "ann@example.com" and listed.rows[0].phone == "+44 20 7946 0000"
    problems = {row.line: row.problem for row in listed.rows if row.problem}
    assert set(problems) == {3, 4, 5}
    assert "malformed e-mail address 'not-an-address'" in problems[3]
    assert "language" in problems[4] and "phone" in problems[5]
    plain = read_customer_list(b"customer_id\nC1\nC2\n")  # files without the new columns: as before
    assert plain.ok and plain.columns == () and plain.customer_ids == ["C1", "C2"]


def test_bad_lists_are_refused_and_nothing_is_stored(db: Session) -> None:
    published(db)
    with pytest.raises(MailError, match="no email column"):
        queued(db, b"customer_id\nC1\n")
    with pytest.raises(MailError, match=r"row 3: malformed e-mail address 'bob@'"):
        queued(db, b"customer_id,email\nC1,ann@example.com\nC2,bob@\n")
    with pytest.raises(MailError, match=r"row 2: no e-mail address for customer 'C1'"):
        queued(db, b"customer_id,email\nC1,\nC2,bob@example.com\n")
    assert db.scalar(sa.select(sa.func.count()).select_from(MailMessage)) == 0
    assert db.scalar(sa.text("select count(*) from invitations")) == 0


def test_each_customer_gets_one_mail_whose_link_opens_their_survey(db: Session, app: Flask,
                                                                  smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    published(db)
    ids = queued(db)
    assert send_pending(db, settings(url), ids) == {"sent": 3}
    assert send_pending(db, settings(url), ids) == {"sent": 3}  # a second run (a retried task) sends nothing
    assert send_pending(db, settings(url)) == {}
    assert len(sink.messages) == 3
    ann = sink.to("ann@example.com")[0]
    assert ann["Subject"] == "How are we doing?: how are we doing?"
    assert ann.get_content_type() == "multipart/alternative"
    assert "Hello Ann Archer," in body(ann) and "Ann Archer" in str(ann["To"])
    assert ann["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(ann["List-Unsubscribe"]).startswith(f"<{BASE}/unsubscribe/")
    bob_html = body(sink.to("bob@example.com")[0], "html")
    assert "Bob &lt;b&gt;Builder&lt;/b&gt;" in bob_html and "<b>Builder" not in bob_html  # HTML autoescaped
    ids_seen = {str(m["Message-ID"]) for m in sink.messages}
    stored = set(db.scalars(sa.select(MailMessage.message_id)))
    assert ids_seen == stored and len(stored) == 3
    db.commit()  # SQLite: the test's read transaction would hold the write lock the app needs
    client = app.test_client()
    for address in ("ann@example.com", "cat@example.com"):
        link = personal_link(sink.to(address)[0])
        page = client.get(link)
        assert page.status_code == 200, page.get_data(as_text=True)[:300]
    answer_all(client, personal_link(ann))
    rows = db.execute(sa.text("select customer_id, status from responses order by customer_id")).all()
    assert [tuple(row) for row in rows] == [("C1", "complete"), ("C3", "partial")]  # each link: its customer


def test_two_senders_at_once_deliver_each_message_once(db_url: str, db: Session, smtp: tuple[Sink, str]) -> None:
    from webapp.storage.engine import create_engine_for, session_factory

    sink, url = smtp
    published(db)
    ids = queued(db, b"customer_id,email\n" + b"".join(f"C{n},c{n}@example.com\n".encode() for n in range(12)))
    engine = create_engine_for(db_url)
    results: list[dict[str, int]] = []

    def run() -> None:
        with session_factory(engine)() as session:
            results.append(send_pending(session, settings(url), ids))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert sorted(str(m["To"]) for m in sink.messages) == sorted(f"c{n}@example.com" for n in range(12))
    assert db.scalar(sa.select(sa.func.count()).where(MailMessage.state == "sent")) == 12


def test_without_a_mail_url_the_message_is_logged_and_marked_not_sent(db: Session,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    published(db)
    ids = queued(db)
    with caplog.at_level("INFO", logger="cxroi.mail"):
        assert send_pending(db, settings(None), ids) == {"not_sent": 3}
    assert "ann@example.com" in caplog.text and "/s/" in caplog.text
    assert {state for _, _, _, state, _ in message_states(db, SLUG)} == {"not_sent"}


def test_refusals_are_recorded_per_address(db: Session, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    sink.refuse = {"bob@example.com": "550 5.1.1 no such mailbox", "cat@example.com": "451 4.7.1 try later"}
    published(db)
    ids = queued(db)
    assert send_pending(db, settings(url), ids) == {"sent": 1, "bounced": 1, "deferred": 1}
    states = {address: (state, error) for _, _, address, state, error in message_states(db, SLUG)}
    assert states["bob@example.com"][0] == "bounced" and "550" in (states["bob@example.com"][1] or "")
    assert states["cat@example.com"][0] == "deferred" and "451" in (states["cat@example.com"][1] or "")
    sink.refuse = {}
    assert send_pending(db, settings(url)) == {"sent": 1}  # the deferred one only; the bounce is not retried
    assert sink.recipients() == [
        "ann@example.com", "cat@example.com"]


def test_smtp_down_defers_without_loss_or_duplicates(db: Session, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    published(db)
    ids = queued(db)
    down = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    assert send_pending(db, settings(down), ids) == {"deferred": 3}
    assert all("unreachable" in (error or "") for *_, error in message_states(db, SLUG))
    assert send_pending(db, settings(url)) == {"sent": 3}
    assert send_pending(db, settings(url)) == {}
    assert len(sink.messages) == 3


def test_a_server_refusing_the_sender_defers_and_loses_nothing(db: Session, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    sink.refuse_sender = "550 5.7.1 you may not send as cx@example.com"
    published(db)
    ids = queued(db)
    assert send_pending(db, settings(url), ids) == {"deferred": 3}  # the configuration's fault, not the address's
    assert all("server refused the sender: 550" in (error or "") for *_, error in message_states(db, SLUG))
    sink.refuse_sender = None
    assert send_pending(db, settings(url)) == {"sent": 3}
    assert send_pending(db, settings(url)) == {}
    assert sink.recipients() == ["ann@example.com", "bob@example.com", "cat@example.com"]


def test_a_bad_mail_url_is_refused_before_a_message_is_claimed(db: Session) -> None:
    published(db)
    ids = queued(db)
    with pytest.raises(MailError, match="CXROI_MAIL_URL must be smtp://host:port"):
        send_pending(db, settings("http://mail.example.com"), ids)
    assert {state for *_, state, _ in message_states(db, SLUG)} == {"queued"}  # nothing held, nothing lost


def test_unsubscribe_then_send_or_remind_never_mails_again(db: Session, app: Flask,
                                                           smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    published(db)
    send_pending(db, settings(url), queued(db))
    client = app.test_client()
    path = unsubscribe_path(sink.to("ann@example.com")[0])
    page = client.get(path)
    assert page.status_code == 200 and "ann@example.com" in page.get_data(as_text=True)
    assert db.scalar(sa.text("select count(*) from mail_opt_outs")) == 0  # GET only asks (link scanners)
    db.commit()
    # RFC 8058 one-click: the mail client POSTs without a CSRF token; the signed token is the authority
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: still fine
    assert db.scalar(sa.text("select email from mail_opt_outs")) == "ann@example.com"
    db.commit()
    assert client.get(path[:-3] + "xyz").status_code == 400  # an altered token
    reminders = queue_reminders(db, SLUG, after_days=0)
    assert reminders.opted_out == ["C1"] and len(reminders.message_ids) == 2
    # another survey, the same address in another case: refused at queueing, and at sending for old rows
    publish_survey(db, example_survey(id="acme_second"))
    again = queue_invitations(db, "acme_second", read_customer_list(b"customer_id,email\nX1,ANN@example.com\n"),
                              None, SECRET)
    assert again.opted_out == ["X1"] and again.message_ids == []
    sink.messages.clear()
    send_pending(db, settings(url))
    assert sink.recipients() == [
        "bob@example.com", "cat@example.com"]
    assert all(m["Subject"].startswith("Reminder: ") for m in sink.messages)


def test_opt_out_recorded_after_queueing_is_honoured_at_sending(db: Session, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    published(db)
    ids = queued(db)
    assert opt_out(db, " Bob@Example.com ", SLUG) is True and opt_out(db, "bob@example.com") is False
    assert send_pending(db, settings(url), ids) == {"sent": 2, "opted_out": 1}
    assert not sink.to("bob@example.com")


def test_reminders_go_only_to_non_responders_once(db: Session, app: Flask, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    published(db)
    send_pending(db, settings(url), queued(db))
    client = app.test_client()
    answer_all(client, personal_link(sink.to("bob@example.com")[0]))  # Bob answers
    client.get(personal_link(sink.to("cat@example.com")[0]))  # Cat opens it but does not finish
    assert queue_reminders(db, SLUG, after_days=1).message_ids == []  # too early
    first = queue_reminders(db, SLUG, after_days=0, max_count=1)
    assert len(first.message_ids) == 1 and first.answered == 1
    rest = queue_reminders(db, SLUG, after_days=0)
    assert len(rest.message_ids) == 1
    assert queue_reminders(db, SLUG, after_days=0).message_ids == []  # one reminder, ever
    sink.messages.clear()
    assert send_pending(db, settings(url)) == {"sent": 2}
    assert sink.recipients() == [
        "ann@example.com", "cat@example.com"]
    # the reminder carries the same personal link: Cat resumes her response
    assert personal_link(sink.to("cat@example.com")[0]) in {personal_link(m) for m in sink.messages}


def test_a_reminder_to_someone_who_answered_meanwhile_is_cancelled(db: Session, app: Flask,
                                                                   smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    published(db)
    send_pending(db, settings(url), queued(db, b"customer_id,email\nC1,ann@example.com\n"))
    reminder = queue_reminders(db, SLUG, after_days=0).message_ids
    answer_all(app.test_client(), personal_link(sink.messages[0]))
    assert send_pending(db, settings(url), reminder) == {"cancelled": 1}
    assert len(sink.messages) == 1


def test_templates_are_checked_stored_and_used(db: Session, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    published(db)
    with pytest.raises(MailError, match="line 1"):
        save_templates(db, SLUG, MailTemplates(subject="{% if %}"))
    with pytest.raises(MailError, match="unknown_thing"):
        save_templates(db, SLUG, MailTemplates(text_body="{{ unknown_thing }} {{ link }} {{ unsubscribe_link }}"))
    with pytest.raises(MailError, match="must contain"):
        save_templates(db, SLUG, MailTemplates(html_body="<p>{{ link }}</p>"))
    with pytest.raises(MailError):  # the sandbox refuses attribute tricks
        save_templates(db, SLUG, MailTemplates(
            subject="{{ link.__class__.__mro__[1].__subclasses__() }}"))
    save_templates(db, SLUG, MailTemplates(
        subject="Dear {{ name or 'customer' }}, {{ survey_title }}",
        text_body="Hi {{ name }}: {{ link }}\nStop: {{ unsubscribe_link }}\n",
        html_body="<p>Hi {{ name }}: <a href='{{ link }}'>go</a> <a href='{{ unsubscribe_link }}'>stop</a></p>"))
    send_pending(db, settings(url), queued(db, b"customer_id,email,name\nC1,ann@example.com,Ann\n"))
    assert sink.messages[0]["Subject"] == "Dear Ann, How are we doing?"
    assert body(sink.messages[0]).startswith("Hi Ann: http://localhost/s/")


def test_unknown_survey_or_closed_is_a_clear_error(db: Session) -> None:
    with pytest.raises(HostingError):
        queue_invitations(db, "nope", read_customer_list(CUSTOMERS), None, SECRET)

