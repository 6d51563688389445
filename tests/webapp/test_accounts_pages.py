"""Sign-in pages and the guard: every route that is not a respondent page needs the right role.

The route test enumerates the app's URL map, so a page added later without a role declaration fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.accounts.guard import ALLOWED, is_public
from webapp.accounts.service import MAX_FAILURES, create_user
from webapp.app import create_app
from webapp.storage.engine import open_session

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "TESTING": True, "INSTANCE_PATH": tmp_path})
    with open_session(url) as session:
        for role in ("author", "analyst", "admin"):
            create_user(session, f"{role}@example.com", role, PASSWORD)
    yield application


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, next_path: str = "") -> tuple[int, str]:
    token = csrf_token(client, "/login")
    response = client.post(f"/login{next_path}", data={"email": email, "password": password, "csrf_token": token})
    return response.status_code, response.headers.get("Location", "")


def staff_rules(app: Flask) -> list[tuple[str, str, set[str]]]:
    rules = []
    for rule in app.url_map.iter_rules():
        if is_public(rule.endpoint):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        rules.append((rule.endpoint, path, set(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    return rules


def test_every_staff_route_declares_a_role(app: Flask) -> None:
    assert {"admin.users"} <= {endpoint for endpoint, _, _ in staff_rules(app)}  # the enumeration sees pages
    undeclared = [endpoint for endpoint, _, _ in staff_rules(app)
                  if getattr(app.view_functions[endpoint], "cxroi_role", None) not in ALLOWED]
    assert undeclared == []


def test_anonymous_visitors_reach_only_respondent_pages(app: Flask) -> None:
    client = app.test_client()
    for endpoint, path, methods in staff_rules(app):
        for method in methods:
            response = client.open(path, method=method)
            if method == "GET":
                assert response.status_code == 302, (endpoint, method)
                assert response.headers["Location"].startswith("/login"), endpoint
            else:  # unsafe methods: refused before anything runs (CSRF or sign-in)
                assert response.status_code in (400, 401), (endpoint, method, response.status_code)


def test_analyst_cannot_use_author_or_admin_pages(app: Flask) -> None:
    client = app.test_client()
    assert sign_in(client, "analyst@example.com")[0] == 302
    for endpoint, path, methods in staff_rules(app):
        role = getattr(app.view_functions[endpoint], "cxroi_role", None)
        if role in ("author", "admin") and "GET" in methods:
            assert client.get(path).status_code == 403, endpoint


def test_sign_in_and_out(app: Flask) -> None:
    client = app.test_client()
    status, location = sign_in(client, "author@example.com")
    assert status == 302 and not location.startswith("/login")
    token = csrf_token(client, "/login")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_wrong_password_is_refused_without_saying_which_part(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client, "/login")
    wrong = client.post("/login", data={"email": "author@example.com", "password": "nope nope nope", "csrf_token": token})
    unknown = client.post("/login", data={"email": "who@example.com", "password": PASSWORD, "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "The e-mail address or password is not right." in wrong.get_data(as_text=True)
    assert "The e-mail address or password is not right." in unknown.get_data(as_text=True)


def test_sign_in_is_rate_limited(app: Flask) -> None:
    client = app.test_client()
    for _ in range(MAX_FAILURES):
        assert sign_in(client, "author@example.com", "wrong password!")[0] == 401
    assert sign_in(client, "author@example.com")[0] == 429


def test_login_needs_csrf_token(app: Flask) -> None:
    response = app.test_client().post("/login", data={"email": "author@example.com", "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_never_leaves_the_site(app: Flask, target: str) -> None:
    client = app.test_client()
    status, location = sign_in(client, "author@example.com", next_path=f"?next={target}")
    assert status == 302 and "evil" not in location and "javascript" not in location


@pytest.mark.parametrize(("base_url", "secure"), [("https://survey.example.com", True), ("http://127.0.0.1:8000", False)])
def test_session_cookie_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_url: str, secure: bool) -> None:
    # Secure whenever the site is served over https (production); plain http is only for a local demo.
    monkeypatch.setenv("CXROI_BASE_URL", base_url)
    monkeypatch.delenv("CXROI_SECURE_COOKIES", raising=False)
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    production = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": tmp_path})
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production.config["SESSION_COOKIE_SECURE"] is secure


def test_admin_adds_a_user_and_bad_input_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "admin@example.com")
    token = csrf_token(client, "/admin/users")
    bad = client.post("/admin/users", data={"email": "author@example.com", "role": "author",
                                             "password": "long enough pw", "csrf_token": token})
    assert bad.status_code == 400 and "already exists" in bad.get_data(as_text=True)
    good = client.post("/admin/users", data={"email": "new@example.com", "role": "analyst",
                                              "password": "long enough pw", "csrf_token": token})
    assert good.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert page.count("@example.com</td>") == 4


@pytest.mark.parametrize("role", ["author", "analyst", "admin"])
def test_each_role_lands_on_a_page_it_may_use(app: Flask, role: str) -> None:
    client = app.test_client()
    status, location = sign_in(client, f"{role}@example.com")
    assert status == 302 and location not in ("", "/login")
    assert client.get(location).status_code == 200


def test_403_and_404_pages_keep_the_staff_navigation(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "analyst@example.com")
    refused = client.get("/author/")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "Not for your role" in page
    assert 'aria-label="Main"' in page and 'href="/results/"' in page and "Sign out" in page
    assert 'href="/author/"' not in page  # the navigation still shows only what the role may open
    missing = client.get("/results/no-such-survey/nothing-here")
    assert missing.status_code == 404 and 'aria-label="Main"' in missing.get_data(as_text=True)
    # a respondent's page stays the respondent's: no staff navigation on a mistyped survey link
    respondent = client.get("/p/no-such-survey")
    assert respondent.status_code == 404 and 'aria-label="Main"' not in respondent.get_data(as_text=True)
    anonymous = app.test_client().get("/no-such-page")
    assert anonymous.status_code == 404 and "Sign out" not in anonymous.get_data(as_text=True)
