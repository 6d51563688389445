"""`webapp.security.SignedSessions` keeps Flask's signing serializer per secret key: a cookie reads as Flask's own
would, a rotated key (`SECRET_KEY_FALLBACKS`) still reads an older cookie, and a changed key is never served by
the serializer kept for the old one."""

from __future__ import annotations

from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from webapp.security import SignedSessions


def _app(secret: str, fallbacks: list[str] | None = None, interface: SecureCookieSessionInterface | None = None
         ) -> Flask:
    app = Flask("sessions")
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks
    app.session_interface = interface or SignedSessions()
    app.add_url_rule("/set", "set", lambda: session.update(who="alice") or "set")
    app.add_url_rule("/who", "who", lambda: session.get("who", "nobody"))
    return app


def _cookie(app: Flask) -> str:
    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _who(app: Flask, cookie: str) -> str:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/who").get_data(as_text=True)


def test_the_cookie_is_flasks_own() -> None:
    plain = _app("key-one", interface=SecureCookieSessionInterface())
    kept = _app("key-one")
    assert _who(plain, _cookie(kept)) == "alice"
    assert _who(kept, _cookie(plain)) == "alice"
    assert _who(kept, _cookie(kept)) == "alice"  # twice through the kept serializer


def test_a_rotated_key_reads_the_old_cookie_and_another_key_does_not() -> None:
    old = _cookie(_app("key-one"))
    assert _who(_app("key-two", ["key-one"]), old) == "alice"
    assert _who(_app("key-two"), old) == "nobody"


def test_a_changed_key_is_not_served_by_the_kept_serializer() -> None:
    app = _app("key-one")
    old = _cookie(app)
    assert _who(app, old) == "alice"
    app.secret_key = "key-two"  # the same interface object: its kept serializer must follow the key
    assert _who(app, old) == "nobody"
    assert _who(app, _cookie(app)) == "alice"
