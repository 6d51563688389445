"""`cxroi survey publish` of a definition whose title does not fit the database: exit 2 naming the path,
nothing stored (on PostgreSQL this was a DataError traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from author_support import count_rows
from web_support import EXAMPLE

from webapp.cli import main


def test_publish_refuses_an_over_long_title(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) | {"title": "T" * 1500}
    source = tmp_path / "long.yaml"
    source.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["survey", "publish", str(source)])
    err = capsys.readouterr().err
    assert done.value.code == 2 and f"{source}: title:" in err and "Traceback" not in err
    assert count_rows(db_url, "surveys") == 0


def test_publish_refuses_a_nul_in_the_title(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXROI_DATABASE_URL", db_url)
    source = tmp_path / "nul.yaml"
    source.write_text(EXAMPLE.read_text(encoding="utf-8").replace("title: How are we doing?",
                                                                  'title: "How are we\\0 doing?"'), encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["survey", "publish", str(source)])
    err = capsys.readouterr().err
    assert done.value.code == 2 and f"{source}: title: contains a NUL character" in err
    assert count_rows(db_url, "surveys") == 0
