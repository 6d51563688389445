"""Security headers on every response (every GET route from the URL map, error pages, static files), and the
per-client rate limit on respondents' submissions."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.security.support import ROUTE_ARGUMENTS, make_app, signed_in, table_snapshot, token_of
from webapp.extensions import SubmitLimit
from webapp.services.invitations import create_invitations
from webapp.storage.engine import open_session

ARGUMENTS = ROUTE_ARGUMENTS


def assert_secure_headers(headers: object, where: str) -> None:
    get = headers.get  # type: ignore[attr-defined]
    policy = get("Content-Security-Policy") or ""
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("default-src") == ["'self'"], (where, policy)
    assert directives.get("frame-ancestors") == ["'none'"], (where, policy)
    assert directives.get("script-src") == ["'self'"], (where, policy)  # no inline script, no eval
    assert "'unsafe-inline'" not in directives.get("style-src", []), (where, policy)
    assert get("X-Content-Type-Options") == "nosniff", where
    assert get("Referrer-Policy") == "no-referrer", where  # personal links carry their token in the address
    assert get("X-Frame-Options") == "DENY", where


def test_every_get_route_and_error_page_has_the_headers(site: tuple[Flask, str]) -> None:
    app, _ = site
    client = signed_in(app, "admin")
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        path = str(rule.build({name: ARGUMENTS[name] for name in rule.arguments})[1])
        reply = client.get(path)
        assert_secure_headers(reply.headers, f"{path} ({reply.status_code})")
        seen += 1
    assert seen >= 20
    for path in ("/no/such/page", "/s/" + "x" * 40, "/p/unknown_survey"):
        reply = client.get(path)
        assert reply.status_code == 404
        assert_secure_headers(reply.headers, path)
    anonymous = app.test_client().get("/author/")
    assert anonymous.status_code == 302
    assert_secure_headers(anonymous.headers, "redirect to sign-in")


def test_pages_are_not_cached_but_static_files_may_be(site: tuple[Flask, str]) -> None:
    app, url = site
    with open_session(url, upgrade=False) as session:
        (link,) = create_invitations(session, "acme_relationship", ["cache-customer"], "email")
    client = app.test_client()
    assert client.get(f"/s/{link.token}").headers["Cache-Control"] == "no-store"
    assert "no-store" not in (client.get("/static/respond.css").headers.get("Cache-Control") or "")


def test_an_explicit_embed_route_may_be_framed_by_named_origins(tmp_path: Path) -> None:
    app, url = make_app(tmp_path, EMBED_ENDPOINTS={"respond.public"}, EMBED_ORIGINS=["https://intranet.example"])
    client = app.test_client()
    embedded = client.get("/p/acme_relationship")
    assert embedded.status_code == 200
    assert "frame-ancestors https://intranet.example" in embedded.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embedded.headers
    assert_secure_headers(client.get("/login").headers, "login next to an embed route")


def test_submit_limit_as_windows() -> None:
    """The settings become Flask-Limiter moving windows: the burst in any second, the rate (at least the burst)
    in any minute, whole numbers rounded up."""
    assert SubmitLimit(60, 30, "memory://").limits == "60 per minute; 30 per second"
    assert SubmitLimit(1, 3, "memory://").limits == "3 per minute; 3 per second"
    assert SubmitLimit(0.5, 0.2, "memory://").limits == "1 per minute; 1 per second"


def test_respondent_posts_beyond_the_limit_get_429_and_change_nothing(tmp_path: Path) -> None:
    app, url = make_app(tmp_path, SUBMIT_RATE_PER_MINUTE=1, SUBMIT_BURST=3)
    with open_session(url, upgrade=False) as session:
        (link,) = create_invitations(session, "acme_relationship", ["rate-customer"], "email")
    client = app.test_client()
    path = f"/s/{link.token}"
    token = token_of(client.get(path).get_data(as_text=True))
    incomplete = {"page": "0", "q_align.easy": "4", "csrf_token": token}  # refused by validation: 400
    assert [client.post(path, data=incomplete).status_code for _ in range(3)] == [400, 400, 400]
    before = table_snapshot(url)
    complete = {"page": "0", "q_align.easy": "4", "q_align.partner": "2", "q_ces": "3", "csrf_token": token}
    limited = client.post(path, data=complete)
    assert limited.status_code == 429
    assert 55 <= int(limited.headers["Retry-After"]) <= 60  # one token at 1 a minute, minus elapsed seconds
    assert "Wait" in limited.get_data(as_text=True)
    assert table_snapshot(url) == before  # the valid page was not stored
    assert client.get(path).status_code == 200  # reading pages is never limited
    elsewhere = app.test_client()
    elsewhere_token = token_of(elsewhere.get(path, environ_base={"REMOTE_ADDR": "192.0.2.7"}).get_data(as_text=True))
    reply = elsewhere.post(path, data=complete | {"csrf_token": elsewhere_token},
                           environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert reply.status_code == 303  # another client's bucket is full


def test_the_limit_can_be_turned_off(tmp_path: Path) -> None:
    app, url = make_app(tmp_path, SUBMIT_RATE_PER_MINUTE=0, SUBMIT_BURST=1)
    with open_session(url, upgrade=False) as session:
        (link,) = create_invitations(session, "acme_relationship", ["unlimited"], "email")
    client = app.test_client()
    token = token_of(client.get(f"/s/{link.token}").get_data(as_text=True))
    statuses = {client.post(f"/s/{link.token}", data={"page": "0", "csrf_token": token}).status_code
                for _ in range(5)}
    assert statuses == {400}  # validation, never 429
