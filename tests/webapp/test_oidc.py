"""Single sign-on (issue 14) against a real OpenID Connect provider on 127.0.0.1 (tests/webapp/support/
oidc_provider.py: Authlib's authorization server, RS256 ID tokens, PKCE), on SQLite and PostgreSQL.

The cxroi test client asks for the sign-in, the authorize step is a real HTTP request to the provider (which
answers with a redirect to cxroi's callback), the test client follows it, and cxroi fetches the token, the
discovery document and the keys from the provider over HTTP itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.webapp.support.cli import run
from tests.webapp.support.oidc_provider import Identity, Misbehaviour, OidcProvider
from tests.webapp.support.web import free_port
from webapp.accounts.lifecycle import set_active
from webapp.accounts.models import User
from webapp.accounts.service import create_user
from webapp.app import create_app
from webapp.audit.models import AuditEvent
from webapp.storage.engine import open_session
from webapp.teams.service import create_team, teams_of

CLIENT_ID, CLIENT_SECRET = "cxroi-test", "a client secret for the tests"
CALLBACK = "http://localhost/login/sso/callback"  # what the test client's requests make of url_for(_external=True)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(CLIENT_ID, CLIENT_SECRET, CALLBACK) as running:
        yield running


@pytest.fixture
def idp(provider: OidcProvider) -> Iterator[OidcProvider]:
    provider.reset()
    yield provider
    provider.reset()


def make_app(db_url: str, tmp_path: Path, issuer: str, **settings: object) -> Flask:
    return create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
                       "SECRET_KEY": "test-secret", "OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                       "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_PROVIDER_NAME": "Example IdP", **settings})


@pytest.fixture
def app(db_url: str, tmp_path: Path, idp: OidcProvider) -> Flask:
    application = make_app(db_url, tmp_path, idp.issuer, OIDC_ROLE_CLAIM="cxroi_role", OIDC_TEAM_CLAIM="team")
    with open_session(db_url) as session:
        for email, role in (("ann@example.com", "author"), ("bob@example.com", "analyst"),
                            ("gone@example.com", "author")):
            create_user(session, email, role, PASSWORD)
        set_active(session, "gone@example.com", False, actor="cli")
    return application


def sign_in_through_provider(client: FlaskClient, next_path: str = "") -> TestResponse:
    """Ask cxroi to sign in, let the provider answer over HTTP, and hand its redirect back to cxroi."""
    start = client.get("/login/sso" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302, start.get_data(as_text=True)
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def signed_in_user(client: FlaskClient) -> int | None:
    with client.session_transaction() as session:
        user_id = session.get("user_id")
    return user_id if isinstance(user_id, int) else None


def stored_user(db_url: str, email: str) -> User | None:
    with open_session(db_url) as session:
        user = session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            session.expunge(user)
        return user


def audit_events(db_url: str, action: str) -> list[AuditEvent]:
    with open_session(db_url) as session:
        found = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)).all()
        for event in found:
            session.expunge(event)
        return list(found)


def assert_refused(response: TestResponse, status: int, *words: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    for word in words:
        assert word in page, (word, page)
    assert 'href="/login"' in page  # the way back to the password form


def test_the_sign_in_page_offers_the_provider_when_configured(app: Flask, db_url: str, tmp_path: Path) -> None:
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with Example IdP" in page and 'href="/login/sso"' in page
    plain = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "plain"), "TESTING": True,
                        "SECRET_KEY": "test-secret"})
    assert "Sign in with" not in plain.test_client().get("/login").get_data(as_text=True)
    assert plain.test_client().get("/login/sso").status_code == 404


def test_a_half_configuration_refuses_to_start(db_url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CXROI_OIDC_CLIENT_SECRET"):
        create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(tmp_path / "half"), "TESTING": True,
                    "SECRET_KEY": "test-secret", "OIDC_ISSUER": "https://idp.example.com", "OIDC_CLIENT_ID": "x"})
    with pytest.raises(ValueError, match="https"):
        make_app(db_url, tmp_path, "http://idp.example.com")


def test_a_good_sign_in_lands_on_the_roles_home_page(app: Flask, idp: OidcProvider, db_url: str) -> None:
    idp.identity = Identity(sub="subject-ann", email="Ann@Example.com")
    client = app.test_client()
    response = sign_in_through_provider(client)
    assert response.status_code == 302 and response.headers["Location"] == "/author/"
    ann = stored_user(db_url, "ann@example.com")
    assert ann is not None and ann.oidc_subject == "subject-ann"
    assert signed_in_user(client) == ann.id
    assert client.get("/author/").status_code == 200
    # the flow was the authorization code with PKCE (S256) and a nonce, scopes openid and email
    asked = idp.authorization_requests[-1]
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43 and len(asked["nonce"]) >= 20  # base64url SHA-256; a random nonce
    assert {"openid", "email"} <= set(asked["scope"].split())
    [event] = audit_events(db_url, "sign_in")
    assert (event.actor, event.target, json.loads(event.detail)) == ("ann@example.com", "ann@example.com",
                                                                      {"via": "oidc"})


def test_the_next_page_is_kept_through_the_provider(app: Flask, idp: OidcProvider) -> None:
    idp.identity = Identity(sub="subject-bob", email="bob@example.com")
    client = app.test_client()
    assert sign_in_through_provider(client, "/results/?x=1").headers["Location"] == "/results/?x=1"
    idp.identity = Identity(sub="subject-bob", email="bob@example.com")
    other = app.test_client()
    assert sign_in_through_provider(other, "//evil.example.com/").headers["Location"] == "/results/"


@pytest.mark.parametrize(("misbehaviour", "named"), [
    (Misbehaviour(audience="another-client"), "aud"),
    (Misbehaviour(expired=True), "expired"),
    (Misbehaviour(nonce="not-the-nonce-that-was-sent"), "nonce"),
])
def test_a_token_that_is_not_for_this_sign_in_is_refused(app: Flask, idp: OidcProvider, db_url: str,
                                                         misbehaviour: Misbehaviour, named: str) -> None:
    idp.identity = Identity(sub="subject-ann", email="ann@example.com")
    idp.misbehaviour = misbehaviour
    client = app.test_client()
    response = sign_in_through_provider(client)
    assert_refused(response, 401, "could not be accepted", named)
    assert signed_in_user(client) is None
    assert client.get("/author/").headers["Location"].startswith("/login")
    ann = stored_user(db_url, "ann@example.com")
    assert ann is not None and ann.oidc_subject is None
    assert audit_events(db_url, "sign_in") == []
    [failure] = audit_events(db_url, "sign_in_failed")
    assert json.loads(failure.detail) == {"via": "oidc", "reason": "token_refused"}


@pytest.mark.parametrize(("identity", "words", "reason"), [
    (Identity(sub="subject-ann", email="ann@example.com", email_verified=False), "not verified",
     "email_not_verified"),
    (Identity(sub="subject-gone", email="gone@example.com"), "deactivated", "deactivated"),
])
def test_an_unverified_email_or_a_deactivated_user_is_refused(app: Flask, idp: OidcProvider, db_url: str,
                                                               identity: Identity, words: str, reason: str) -> None:
    idp.identity = identity
    client = app.test_client()
    assert_refused(sign_in_through_provider(client), 403, words)
    assert signed_in_user(client) is None
    user = stored_user(db_url, identity.email)
    assert user is not None and user.oidc_subject is None
    [failure] = audit_events(db_url, "sign_in_failed")
    assert json.loads(failure.detail) == {"via": "oidc", "reason": reason}


def test_an_unknown_user_without_a_mapped_role_is_refused(app: Flask, idp: OidcProvider, db_url: str) -> None:
    for claims in ({}, {"cxroi_role": "superuser"}, {"cxroi_role": ["author", "admin"]}):
        idp.identity = Identity(sub="subject-new", email="new@example.com", claims=claims)
        client = app.test_client()
        assert_refused(sign_in_through_provider(client), 403, "an admin must add you")
        assert signed_in_user(client) is None
    assert stored_user(db_url, "new@example.com") is None


def test_an_unknown_user_with_a_mapped_role_is_created(app: Flask, idp: OidcProvider, db_url: str) -> None:
    idp.identity = Identity(sub="subject-cara", email="cara@example.com",
                            claims={"cxroi_role": ["employee", "analyst"], "team": "billing"})
    client = app.test_client()
    response = sign_in_through_provider(client)
    assert response.status_code == 302 and response.headers["Location"] == "/results/"
    cara = stored_user(db_url, "cara@example.com")
    assert cara is not None
    assert (cara.role, cara.team, cara.oidc_subject, cara.active) == ("analyst", "billing", "subject-cara", True)
    assert signed_in_user(client) == cara.id
    assert [event.target for event in audit_events(db_url, "user_created")][-1] == "cara@example.com"


def test_a_new_users_team_claim_puts_them_in_that_team(app: Flask, idp: OidcProvider, db_url: str) -> None:
    with open_session(db_url) as session:
        create_team(session, "billing")  # two teams now: new users join none by themselves
    idp.identity = Identity(sub="subject-dan", email="dan@example.com",
                            claims={"cxroi_role": "analyst", "team": "billing"})
    assert sign_in_through_provider(app.test_client()).status_code == 302
    with open_session(db_url) as session:
        dan = session.scalar(sa.select(User).where(User.email == "dan@example.com"))
        assert dan is not None and [team.name for team in teams_of(session, dan.id)] == ["billing"]


def test_a_bound_user_deactivated_later_is_refused(app: Flask, idp: OidcProvider, db_url: str) -> None:
    idp.identity = Identity(sub="subject-ann", email="ann@example.com")
    assert sign_in_through_provider(app.test_client()).status_code == 302
    with open_session(db_url) as session:
        set_active(session, "ann@example.com", False, actor="cli")
    client = app.test_client()
    assert_refused(sign_in_through_provider(client), 403, "deactivated")
    assert signed_in_user(client) is None


def test_the_subject_binding_survives_an_email_change_at_the_provider(app: Flask, idp: OidcProvider,
                                                                      db_url: str) -> None:
    idp.identity = Identity(sub="subject-ann", email="ann@example.com")
    assert sign_in_through_provider(app.test_client()).status_code == 302
    ann, bob = stored_user(db_url, "ann@example.com"), stored_user(db_url, "bob@example.com")
    assert ann is not None and bob is not None
    # Ann's identity now says bob's address (verified): still Ann, never Bob
    idp.identity = Identity(sub="subject-ann", email="bob@example.com")
    client = app.test_client()
    assert sign_in_through_provider(client).headers["Location"] == "/author/"
    assert signed_in_user(client) == ann.id
    # another identity claiming Ann's address cannot take her account over
    idp.identity = Identity(sub="subject-impostor", email="ann@example.com")
    other = app.test_client()
    assert_refused(sign_in_through_provider(other), 403, "linked to another identity")
    assert signed_in_user(other) is None
    bob_after = stored_user(db_url, "bob@example.com")
    assert bob_after is not None and bob_after.oidc_subject is None


def test_a_callback_without_this_browsers_state_is_refused(app: Flask, idp: OidcProvider) -> None:
    idp.identity = Identity(sub="subject-ann", email="ann@example.com")
    started = app.test_client().get("/login/sso")
    at_provider = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    stranger = app.test_client()  # another browser: the code and state are not its own (login CSRF)
    assert_refused(stranger.get(f"{back.path}?{back.query}"), 401, "mismatching_state")
    assert signed_in_user(stranger) is None


def test_an_unreachable_provider_gives_a_clear_page_and_passwords_still_work(db_url: str, tmp_path: Path) -> None:
    application = make_app(db_url, tmp_path, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with open_session(db_url) as session:
        create_user(session, "ann@example.com", "author", PASSWORD)
    client = application.test_client()
    assert_refused(client.get("/login/sso"), 502, "could not be reached")
    assert signed_in_user(client) is None
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token is not None
    signed = client.post("/login", data={"email": "ann@example.com", "password": PASSWORD,
                                         "csrf_token": token.group(1)})
    assert signed.status_code == 302 and signed.headers["Location"] == "/author/"
    [failure] = audit_events(db_url, "sign_in_failed")
    assert json.loads(failure.detail) == {"via": "oidc", "reason": "provider_unreachable"}


def test_an_admin_unlinks_a_wrongly_bound_identity(app: Flask, idp: OidcProvider, db_url: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    idp.identity = Identity(sub="subject-old", email="ann@example.com")
    first = app.test_client()
    assert sign_in_through_provider(first).status_code == 302
    idp.identity = Identity(sub="subject-new", email="ann@example.com")
    assert sign_in_through_provider(app.test_client()).status_code == 403
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    code, out, _ = run(["user", "unlink-sso", "ann@example.com"], capsys)
    assert code == 0 and "ann@example.com is bound to no single sign-on identity" in out
    assert first.get("/author/").status_code == 302  # the session of the old binding has ended
    again = app.test_client()
    assert sign_in_through_provider(again).headers["Location"] == "/author/"
    ann = stored_user(db_url, "ann@example.com")
    assert ann is not None and ann.oidc_subject == "subject-new" and signed_in_user(again) == ann.id
    [unlinked] = audit_events(db_url, "sso_unlinked")
    assert (unlinked.actor, unlinked.target) == ("cli", "ann@example.com")
