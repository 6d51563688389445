"""Fixtures of the hosting tests (`db_url`, `db`, `app`, `client`, `sqlite_url`, `served`), defined in web_support."""

from web_support import app, client, db, db_url, served, sqlite_url  # noqa: F401
