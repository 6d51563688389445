"""hypothesis fuzzing of the respondent POST (random field names, values, encodings, sizes) and of the outcomes
loader (`roi.data`): never a 500 or a traceback, and a refused request changes nothing stored."""

from __future__ import annotations

import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from roi.config import RoiConfig
from roi.data import read_outcomes_table
from roi.inputs.outcomes import build_outcomes
from surveys.errors import CxroiError
from tests.security.support import make_app, token_of
from webapp.services.invitations import create_invitations
from webapp.storage.engine import create_engine_for, open_session

REAL_FIELDS = ["page", "csrf_token", "q_align.easy", "q_align.partner", "q_ces", "q_friction.ordering",
               "q_friction.ordering.what", "q_friction.billing", "q_channels", "q_channel.phone", "q_why", "q_nps"]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


class Target:
    """An app with two personal links: one partial (may legitimately save a valid page), one complete (must
    never change), and a persistent engine to read what is stored."""

    def __init__(self, folder: Path) -> None:
        self.app, url = make_app(folder, SUBMIT_RATE_PER_MINUTE=0)
        with open_session(url, upgrade=False) as session:
            partial, complete = create_invitations(session, "acme_relationship", ["fuzz-p", "fuzz-c"], "email")
        self.client = self.app.test_client()
        self.partial, self.complete = f"/s/{partial.token}", f"/s/{complete.token}"
        self.csrf = token_of(self.client.get(self.complete).get_data(as_text=True))
        for data in ({"page": "0", "q_align.easy": "4", "q_align.partner": "2", "q_ces": "3"}, {"page": "1"}):
            assert self.client.post(self.complete, data=data | {"csrf_token": self.csrf}).status_code == 303
        self.client.get(self.partial)
        self.engine = create_engine_for(url)

    def stored(self) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(
                "select id, status, answers, current_page, submitted_at, customer_id from responses order by id"))]


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with tempfile.TemporaryDirectory() as folder:
        made = Target(Path(folder))
        yield made
        made.engine.dispose()


names = st.one_of(st.sampled_from(REAL_FIELDS), st.text(max_size=40),
                  st.sampled_from(REAL_FIELDS).map(lambda n: n + ".x"), st.just("q_why" * 50))
small_values = st.one_of(st.text(max_size=60), st.integers(-10**12, 10**12).map(str),
                         st.sampled_from(["", "0", "1", "5", "11", "-1", "yes", "no", "phone", "NaN", "1e309",
                                          "\x00", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")]))
values = st.one_of(small_values, st.integers(0, 1_200_000).map(lambda n: "x" * n))
fields = st.lists(st.tuples(names, values), max_size=14)
encodings = st.sampled_from(["utf-8", "latin-1", "utf-16", "cp1252"])


def encode_body(pairs: list[tuple[str, str]], encoding: str) -> bytes:
    return urllib.parse.urlencode(pairs).encode("ascii").decode("ascii").encode(encoding, "replace")


@FUZZ
@given(pairs=fields, with_token=st.booleans(), encoding=encodings, complete=st.booleans(),
       multipart=st.booleans())
# found by this test: a multipart part named by a newline reached Flask-WTF as a key of None (a 500)
@example(pairs=[("\n", "")], with_token=False, encoding="utf-8", complete=False, multipart=True)
def test_respondent_post_fuzz(target: Target, pairs: list[tuple[str, str]], with_token: bool, encoding: str,
                              complete: bool, multipart: bool) -> None:
    if with_token:
        pairs = [("csrf_token", target.csrf), *pairs]
    path = target.complete if complete else target.partial
    before = target.stored()
    if multipart:
        data: Any = {}
        for name, value in pairs:
            data.setdefault(name, []).append(value)
        reply = target.client.post(path, data=data, content_type="multipart/form-data")
    else:
        reply = target.client.post(path, data=encode_body(pairs, encoding),
                                   content_type=f"application/x-www-form-urlencoded; charset={encoding}")
    body = reply.get_data(as_text=True)
    assert reply.status_code < 500, body[:500]
    assert "Traceback" not in body
    if reply.status_code >= 400 or complete:
        assert target.stored() == before, reply.status_code
    if reply.status_code >= 400:
        assert "<h1>" in body  # a page that says what happened, not a bare error


rows = st.lists(st.lists(st.one_of(st.text(max_size=12), st.integers(-5, 10**6).map(str),
                                   st.sampled_from(["", "0", "1", "yes", "2026-13-45", "1e999", "nan", "-"])),
                         min_size=0, max_size=6), max_size=12)
headers = st.lists(st.one_of(st.sampled_from(["customer_id", "churned", "tenure_months", "start_date", "end_date",
                                              "revenue", "revenue_prior", "account_id", "segment"]),
                             st.text(max_size=12)), max_size=7)


@FUZZ
@given(header=headers, body=rows, encoding=encodings, garbage=st.binary(max_size=200), use_garbage=st.booleans(),
       suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_outcomes_loader_fuzz(tmp_path: Path, header: list[str], body: list[list[str]], encoding: str,
                              garbage: bytes, use_garbage: bool, suffix: str) -> None:
    path = tmp_path / f"outcomes{suffix}"
    if use_garbage or suffix != ".csv":  # a spreadsheet or Parquet file that is really anything else
        path.write_bytes(garbage)
    else:
        text = "\n".join(",".join(cell.replace(",", " ").replace("\n", " ") for cell in line)
                         for line in [header, *body])
        path.write_bytes(text.encode(encoding, "replace"))
    try:
        outcomes = build_outcomes(read_outcomes_table(path), RoiConfig())
    except CxroiError as error:
        message = str(error)
        assert message.strip() and "Traceback" not in message
        assert "outcomes" in message, message  # names the file (or the outcomes table it read)
        return
    assert outcomes.frame["customer_id"].is_unique  # accepted: one row per customer, as the contract says
