"""Personal-link tokens are unguessable (at least 128 random bits, only their SHA-256 stored) and single-use:
once the response is complete, the link shows "already answered" and nothing it sends changes anything."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from flask import Flask

from tests.security.support import table_snapshot, token_of
from webapp.services.invitations import create_invitations
from webapp.storage.engine import open_session

PAGE_1 = {"page": "0", "q_align.easy": "4", "q_align.partner": "2", "q_ces": "6"}
PAGE_2 = {"page": "1", "q_nps": "9"}


def test_tokens_carry_at_least_128_random_bits_and_only_hashes_are_stored(site: tuple[Flask, str]) -> None:
    _, url = site
    ids = [f"customer-{n}" for n in range(500)]
    with open_session(url, upgrade=False) as session:
        links = create_invitations(session, "acme_relationship", ids, "email")
    tokens = [link.token for link in links]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128, token
    # Every bit position varies across 500 tokens: a counter or a timestamp would leave some fixed
    # (the chance that a truly random bit is the same in all 500 is 2 × 2^-500).
    raws = [base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)) for t in tokens]
    width = min(len(r) for r in raws) * 8
    for bit in range(width):
        values = {(r[bit // 8] >> (7 - bit % 8)) & 1 for r in raws}
        assert values == {0, 1}, f"bit {bit} never changes"
    file = Path(url.removeprefix("sqlite:///"))  # the database and its write-ahead log: every stored byte
    database = b"".join(p.read_bytes() for p in (file, file.with_name(file.name + "-wal")) if p.exists())
    for token in tokens[:50]:
        assert token.encode() not in database
        assert hashlib.sha256(token.encode()).hexdigest().encode() in database


def test_a_link_is_single_use(site: tuple[Flask, str]) -> None:
    app, url = site
    with open_session(url, upgrade=False) as session:
        (link,) = create_invitations(session, "acme_relationship", ["single"], "email")
    path = f"/s/{link.token}"
    client = app.test_client()
    token = token_of(client.get(path).get_data(as_text=True))
    assert client.post(path, data=PAGE_1 | {"csrf_token": token}).status_code == 303
    done = client.post(path, data=PAGE_2 | {"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{path}/thanks")
    before = table_snapshot(url)

    # Someone else opening the link later (another browser) sees "already answered"; their posts change nothing.
    other = app.test_client()
    again = other.get(path)
    assert again.status_code == 410
    assert 'name="csrf_token"' not in again.get_data(as_text=True)  # no form to fill in
    other_token = token_of(other.get("/login").get_data(as_text=True))
    replay = other.post(path, data=PAGE_1 | {"q_ces": "1", "csrf_token": other_token})
    assert replay.status_code == 303 and replay.headers["Location"].endswith("/thanks")
    assert client.post(path, data=PAGE_2 | {"q_nps": "0", "csrf_token": token}).status_code == 303
    assert table_snapshot(url) == before


def test_a_guessed_or_altered_token_finds_nothing(site: tuple[Flask, str]) -> None:
    app, url = site
    with open_session(url, upgrade=False) as session:
        (link,) = create_invitations(session, "acme_relationship", ["altered"], "email")
    client = app.test_client()
    flipped = link.token[:-1] + ("A" if link.token[-1] != "A" else "B")
    for guess in (flipped, link.token.upper() if link.token.upper() != link.token else flipped, "0" * len(link.token),
                  link.token + "x", link.token[:16]):
        assert client.get(f"/s/{guess}").status_code == 404, guess
