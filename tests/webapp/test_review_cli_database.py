"""A database URL that cannot be used (malformed, an unknown database, a server that refuses connections)
is one line naming CXROI_DATABASE_URL and exit 2 for every command that needs the database, not a
SQLAlchemy traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_web_cli_hosting import run
from web_support import EXAMPLE


@pytest.mark.parametrize("url", [
    "not a url",
    "nosuchdatabase://host/name",
    "postgresql+psycopg://nobody@127.0.0.1:1/none",  # port 1: nothing listens, the connection is refused
])
@pytest.mark.parametrize("command", [["db", "upgrade"], ["survey", "publish", str(EXAMPLE)],
                                     ["responses", "export", "acme_relationship", "-o", "OUT"]])
def test_an_unusable_database_url_is_one_line(url: str, command: list[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", url)
    args = [str(tmp_path / "out.csv") if arg == "OUT" else arg for arg in command]
    code, _, err = run(args, capsys)
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "CXROI_DATABASE_URL" in err
    assert not (tmp_path / "out.csv").exists()
