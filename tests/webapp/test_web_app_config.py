"""The app factory's settings: environment first, then the instance folder (database and secret key made
there on first use, zero set-up)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from webapp.app import create_app


def test_zero_setup_uses_the_instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXROI_DATABASE_URL", raising=False)
    monkeypatch.delenv("CXROI_SECRET_KEY", raising=False)
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app()
    key_file = tmp_path / "instance" / "secret_key"
    database = tmp_path / "instance" / "cxroi.sqlite3"
    assert app.config["DATABASE_URL"] == f"sqlite:///{database}"
    assert key_file.read_text() == app.config["SECRET_KEY"] and len(app.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    engine = sa.create_engine(app.config["DATABASE_URL"])
    with engine.connect() as connection:
        assert {"surveys", "survey_versions", "invitations", "responses"} <= set(sa.inspect(connection).get_table_names())
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]  # kept across restarts


def test_environment_settings_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    monkeypatch.setenv("CXROI_DATABASE_URL", url)
    monkeypatch.setenv("CXROI_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("CXROI_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app()
    assert app.config["DATABASE_URL"] == url and app.config["SECRET_KEY"] == "from-the-environment"
    assert (tmp_path / "elsewhere.sqlite3").exists()
    assert not (tmp_path / "instance" / "secret_key").exists()
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.template_folder == str(Path(__file__).resolve().parents[2] / "templates")


def test_sqlite_connections_have_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    from webapp.storage.engine import create_engine_for

    engine = create_engine_for(f"sqlite:///{tmp_path / 'db' / 'x.sqlite3'}")  # the folder is created too
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
