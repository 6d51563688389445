"""Every state-changing route, enumerated from the app's URL map, refuses a request without a valid CSRF
token (400, nothing stored changed); every route that is not a respondent page needs a signed-in user with
the right role."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.security.support import ROUTE_ARGUMENTS, signed_in, table_snapshot, token_of
from webapp.services.invitations import create_invitations
from webapp.storage.engine import open_session

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC = {"static", "accounts.login", "accounts.logout"}
ARGUMENTS = ROUTE_ARGUMENTS


def url_for_rule(rule: Any, token: str) -> str:
    values = {name: (token if name == "token" else ARGUMENTS[name]) for name in rule.arguments}
    return str(rule.build(values)[1])


def personal_token(url: str) -> str:
    with open_session(url, upgrade=False) as session:
        (link,) = create_invitations(session, "acme_relationship", ["csrf-customer"], "email")
    return link.token


def state_changing_rules(app: Flask) -> list[tuple[Any, str]]:
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted((rule.methods or set()) & STATE_CHANGING)]


def test_the_url_map_has_the_expected_state_changing_routes(site: tuple[Flask, str]) -> None:
    """Guards the enumeration itself: the respondent, sign-in, authoring and report routes are all in it."""
    app, _ = site
    endpoints = {rule.endpoint for rule, _ in state_changing_rules(app)}
    assert {"respond.personal", "respond.public", "accounts.login", "accounts.logout", "author.publish",
            "author.upload", "admin.users"} <= endpoints


SIGNED_LINK_ENDPOINTS = {"respond.unsubscribe"}
"""POST endpoints whose authority is a signed token in the URL instead of the form's CSRF token."""


@pytest.mark.parametrize("token_kind", ["missing", "forged", "other_session"])
def test_every_state_changing_request_without_a_valid_token_is_refused(site: tuple[Flask, str],
                                                                      token_kind: str) -> None:
    app, url = site
    token = personal_token(url)
    client = signed_in(app, "admin")  # a signed-in admin: the case CSRF exists for
    other = app.test_client()
    other_token = token_of(other.get("/login").get_data(as_text=True))
    before = table_snapshot(url)
    checked = []
    for rule, method in state_changing_rules(app):
        data = {"page": "0", "q_ces": "3", "title": "Changed", "email": "admin@example.com"}
        if token_kind == "forged":
            data["csrf_token"] = "IjAwMDAi.ZZZZZZ.forged-signature"
        elif token_kind == "other_session":
            data["csrf_token"] = other_token
        path = url_for_rule(rule, token)
        reply = client.open(path, method=method, data=data)
        if rule.endpoint.startswith("api."):
            # the REST API takes a bearer key, never the session cookie: a signed-in browser cannot use it at all
            assert reply.status_code == 401 and reply.mimetype == "application/problem+json", (method, path)
            checked.append(path)
            continue
        assert reply.status_code == 400, (method, path, reply.status_code)
        if rule.endpoint in SIGNED_LINK_ENDPOINTS:
            # one-click unsubscribe (RFC 8058): mail clients POST without a form token; the signed token in the
            # link is the authority, so a link that is not one of ours is refused and changes nothing
            assert "not valid" in reply.get_data(as_text=True), (method, path)
        else:
            # the app-wide check says "security token"; the report upload checks its token in its form (after
            # raising the body limit for the file) and names the CSRF token among the form's errors
            assert "token" in reply.get_data(as_text=True).lower(), (method, path)
        checked.append(path)
    assert len(checked) >= 20
    assert table_snapshot(url) == before


def test_non_respondent_pages_need_sign_in(site: tuple[Flask, str]) -> None:
    app, url = site
    token = personal_token(url)
    anonymous = app.test_client()
    csrf = token_of(anonymous.get("/login").get_data(as_text=True))
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(("respond.", "shared.")):  # shared: report links
            continue
        path = url_for_rule(rule, token)
        if rule.endpoint.startswith("api."):  # no sign-in page for programs: a 401 problem (tests/webapp/test_api.py)
            if rule.endpoint != "api.openapi":
                assert anonymous.get(path).status_code == 401, path
            continue
        if "GET" in (rule.methods or ()):
            reply = anonymous.get(path)
            assert reply.status_code == 302 and "/login?next=" in reply.headers["Location"], path
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            reply = anonymous.open(path, method=method, data={"csrf_token": csrf})
            assert reply.status_code == 401, (method, path, reply.status_code)


@pytest.mark.parametrize(("role", "refused_prefixes"), [
    ("analyst", ("author.", "admin.")),
    ("author", ("admin.",)),
])
def test_roles_are_enforced_on_every_route(site: tuple[Flask, str], role: str,
                                          refused_prefixes: tuple[str, ...]) -> None:
    app, url = site
    token = personal_token(url)
    client = signed_in(app, role)
    csrf = token_of(client.get("/login").get_data(as_text=True))
    before = table_snapshot(url)
    refused = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(refused_prefixes):
            continue
        path = url_for_rule(rule, token)
        for method in sorted((rule.methods or set()) & (STATE_CHANGING | {"GET"})):
            reply = client.open(path, method=method, data={"csrf_token": csrf} if method != "GET" else None)
            assert reply.status_code == 403, (role, method, path, reply.status_code)
            refused += 1
    assert refused >= (2 if role == "author" else 20)
    assert table_snapshot(url) == before


def test_the_fixture_survey_is_answerable(site: tuple[Flask, str]) -> None:
    """Sanity of the fixture: the example survey is published and answerable (a 200 with a token)."""
    app, url = site
    reply = app.test_client().get(f"/s/{personal_token(url)}")
    assert reply.status_code == 200 and 'name="csrf_token"' in reply.get_data(as_text=True)
