"""The app factory as Flask users expect it (`webapp.create_app`, `flask --app webapp run`), the front page `/`,
and settings read from the environment only in `webapp.config`."""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient

import webapp
from webapp.accounts.service import create_user
from webapp.app import create_app
from webapp.extensions import limiter
from webapp.storage.engine import open_session

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
HOMES = {"author": "/author/", "admin": "/author/", "analyst": "/results/", "agent": "/cases/"}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "TESTING": True, "INSTANCE_PATH": tmp_path})
    with open_session(url) as session:
        for role in HOMES:
            create_user(session, f"{role}@example.com", role, PASSWORD)
    return application


def signed_in_as(app: Flask, role: str) -> FlaskClient:
    from webapp.accounts.models import User

    client = app.test_client()
    with open_session(app.config["DATABASE_URL"]) as session:
        user = session.query(User).filter_by(email=f"{role}@example.com").one()
        user_id, version = user.id, user.session_version
    with client.session_transaction() as cookie:  # as signing in makes it (webapp.accounts.views.login)
        cookie["user_id"], cookie["session_version"] = user_id, version
    return client


# --- the factory ---------------------------------------------------------------------------------------------


def test_create_app_is_importable_from_the_package() -> None:
    assert webapp.create_app is create_app
    with pytest.raises(AttributeError):
        webapp.no_such_thing  # noqa: B018


def test_flask_discovers_the_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("CXROI_DATABASE_URL", raising=False)
    found = ScriptInfo(app_import_path="webapp").load_app()
    assert isinstance(found, Flask) and "accounts.login" in found.view_functions
    assert found.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'cxroi.sqlite3'}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def flask_run(tmp_path: Path) -> Iterator[str]:
    """`flask --app webapp run` in a child process, with its instance folder in `tmp_path`; yields its URL."""
    port = free_port()
    flask = Path(sys.executable).with_name("flask")
    command = [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CXROI_", "FLASK_"))}
    env["CXROI_INSTANCE_PATH"] = str(tmp_path / "instance")
    # Run from the checkout, so the child serves the code under test (Flask puts the folder on sys.path).
    child = subprocess.Popen([*command, "--app", "webapp", "run", "--port", str(port)], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/login", timeout=5) as reply:
                    assert reply.status == 200
                break
            except (urllib.error.URLError, ConnectionError):
                if child.poll() is not None or time.monotonic() > deadline:
                    child.kill()
                    pytest.fail(f"flask --app webapp run did not serve: {child.communicate()[1][-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=20)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_flask_app_webapp_run_serves_the_site(flask_run: str) -> None:
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(f"{flask_run}/", timeout=5)
    assert redirected.value.code == 302
    assert redirected.value.headers["Location"].startswith("/login")


# --- the front page ------------------------------------------------------------------------------------------


def test_front_page_sends_visitors_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"


@pytest.mark.parametrize("role", sorted(HOMES))
def test_front_page_sends_staff_to_their_home(app: Flask, role: str) -> None:
    client = signed_in_as(app, role)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == HOMES[role]
    assert client.get(HOMES[role]).status_code == 200


def test_a_visitor_signs_in_from_the_front_page_and_lands_home(app: Flask) -> None:
    client = app.test_client()
    login = client.get("/", follow_redirects=True)
    assert login.request.path == "/login"
    page = login.get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    landed = client.post("/login?next=/", data={"email": "analyst@example.com", "password": PASSWORD,
                                                  "csrf_token": token}, follow_redirects=True)
    assert landed.status_code == 200 and landed.request.path == HOMES["analyst"]


def test_an_inactive_account_is_a_visitor(app: Flask) -> None:
    from webapp.accounts.models import User

    client = signed_in_as(app, "author")
    with open_session(app.config["DATABASE_URL"]) as session:
        session.query(User).filter_by(email="author@example.com").one().active = False
        session.commit()
    assert client.get("/").headers["Location"].startswith("/login")


# --- settings ------------------------------------------------------------------------------------------------


ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(path: Path) -> list[str]:
    """Where `path` uses `os.environ`, `os.getenv` and the like (also imported `from os`), as `file:line`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            used = {node.attr}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            used = {alias.name for alias in node.names}
        else:
            continue
        if used & ENVIRONMENT:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_config_module_reads_the_environment() -> None:
    config = ROOT / "webapp" / "config.py"
    assert environment_reads(config)  # the check sees reads where they are
    elsewhere = [hit for path in sorted((ROOT / "webapp").rglob("*.py")) if path != config
                 for hit in environment_reads(path)]
    assert elsewhere == []


def make(tmp_path: Path, **config: object) -> Flask:
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "SECRET_KEY": "x",
                       "INSTANCE_PATH": tmp_path, **config})


def clear_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CXROI_SECURE_COOKIES", "CXROI_SUBMIT_RATE_PER_MINUTE", "CXROI_SUBMIT_BURST", "CXROI_QUEUE_URL",
                 "CXROI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_environment_settings_reach_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_settings(monkeypatch)
    monkeypatch.setenv("CXROI_SECURE_COOKIES", "1")
    monkeypatch.setenv("CXROI_SUBMIT_RATE_PER_MINUTE", "0")
    monkeypatch.setenv("CXROI_QUEUE_URL", "redis://127.0.0.1:6379/4")
    app = make(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True  # on plain http, because the variable says so
    assert app.config["QUEUE_URL"] == "redis://127.0.0.1:6379/4"
    assert limiter.setting(app) is None  # rate 0: no limit


def test_defaults_without_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_settings(monkeypatch)
    app = make(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["QUEUE_URL"] == f"sqlite:///{tmp_path / 'queue.sqlite3'}"  # in the instance folder
    limit = limiter.setting(app)
    assert limit is not None and (limit.per_minute, limit.burst, limit.storage_uri) == (60.0, 30.0, "memory://")


def test_app_settings_win_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_settings(monkeypatch)
    monkeypatch.setenv("CXROI_SECURE_COOKIES", "0")
    monkeypatch.setenv("CXROI_BASE_URL", "https://survey.example.com")
    monkeypatch.setenv("CXROI_SUBMIT_RATE_PER_MINUTE", "0")
    monkeypatch.setenv("CXROI_SUBMIT_BURST", "2")
    monkeypatch.setenv("CXROI_QUEUE_URL", "redis://127.0.0.1:6379/4")  # never read: the setting below wins
    app = make(tmp_path, SUBMIT_RATE_PER_MINUTE=6, QUEUE_URL="sqlite:///elsewhere.sqlite3")
    assert app.config["SESSION_COOKIE_SECURE"] is False  # CXROI_SECURE_COOKIES=0 beats the https address
    assert app.config["QUEUE_URL"] == "sqlite:///elsewhere.sqlite3"
    limit = limiter.setting(app)
    assert limit is not None and (limit.per_minute, limit.burst) == (6.0, 2.0)


NAVIGATION = {  # the links each role may use, from the roles each page declares (webapp/accounts/guard.py)
    "analyst": {"Results", "Reports"},
    "agent": {"Cases"},
    "author": {"Surveys", "Cases", "Results", "Reports"},
    "admin": {"Surveys", "Cases", "Results", "Reports", "Users"},
}


@pytest.mark.parametrize("role", sorted(NAVIGATION))
def test_the_navigation_shows_only_the_links_a_role_may_use(app: Flask, role: str) -> None:
    client = signed_in_as(app, role)
    page = client.get(HOMES[role]).get_data(as_text=True)
    nav = page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    shown = set(re.findall(r'<a href="[^"]+">([^<]+)</a>', nav))
    assert shown == NAVIGATION[role]
    for link in re.findall(r'<a href="([^"]+)">', nav):
        assert client.get(link).status_code == 200, link
