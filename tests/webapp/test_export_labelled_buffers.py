"""The compact column buffers of the SPSS/Stata export (issue 13, bounded memory): codes in 4 bytes, promoted to 8
when a value does not fit exactly; texts in Arrow chunks, in order, missing ones empty; times written in the file's
own unit and read back as the same date-times by pyreadstat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyreadstat
import pytest

from surveys.definition import build_survey
from webapp.services import export_labelled
from webapp.services.export_labelled import Variable, write_labelled


def test_labelled_numbers_take_four_bytes_until_one_does_not_fit() -> None:
    scale = Variable("q", "q", "Q", "number", {1: "Low", 5: "High"})
    for value in (1, 5, None):
        scale.add(value)
    assert scale.numbers.typecode == "f"
    scale.add(16_777_217)  # 2**24 + 1: not exact in a 4-byte float
    scale.add(0.1)
    assert scale.numbers.typecode == "d"
    values = list(scale.series())
    assert values[:2] + values[3:] == [1.0, 5.0, 16_777_217.0, 0.1] and values[2] != values[2]  # NaN
    plain = Variable("n", "n", "N", "number")
    plain.add(0.1)
    assert plain.numbers.typecode == "d" and list(plain.series()) == [0.1]


def test_texts_keep_their_order_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_labelled, "_TEXT_CHUNK", 3)
    texts = Variable("t", "t", "T", "text")
    given = ["a", None, "é", "d", 5, None, "g"]
    for value in given:
        texts.add(value)
    assert list(texts.series()) == ["a", "", "é", "d", "5", "", "g"]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_times_read_back_as_the_same_date_times(tmp_path: Path, suffix: str) -> None:
    survey = build_survey({"id": "s", "title": "S", "sections": [{"id": "p", "title": "P", "questions": [
        {"id": "q_csat", "type": "csat", "text": "How satisfied are you?"}]}]})
    columns = [*survey.columns()[:7], "wave", "language", "q_csat"]
    started = datetime(2026, 3, 1, 10, 0, 0)
    rows = [dict.fromkeys(columns) | {"response_id": i, "started_at": started + timedelta(days=i, seconds=7),
                                      "submitted_at": (started + timedelta(days=i, minutes=6)).replace(tzinfo=UTC)
                                      if i else None, "q_csat": 1 + i, "status": "complete"} for i in range(3)]
    path = tmp_path / f"r{suffix}"
    assert write_labelled(path, suffix, columns, iter(rows), [survey]) == 3
    frame, _ = (pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta)(str(path))
    assert list(frame["started_at"]) == [datetime(2026, 3, d, 10, 0, 7) for d in (1, 2, 3)]
    assert frame["submitted_at"].isna().tolist() == [True, False, False]
    assert list(frame["submitted_at"][1:]) == [datetime(2026, 3, 2, 10, 6), datetime(2026, 3, 3, 10, 6)]
    assert list(frame["q_csat"]) == [1.0, 2.0, 3.0] and list(frame["status"]) == ["complete"] * 3
