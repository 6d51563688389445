"""Running `cxroi` as the tests need it: in this process (`run`, through `webapp.cli.main`, output captured by
pytest's capsys), or as a real subprocess as a deployment runs it (`cxroi`, `start_cxroi`), with an environment
of the test's own (`subprocess_env`): its database, its queue (a SQLite file, or a queue name of its own on the
real Redis server, `redis_queue_url` / `clean_redis`), and optionally its SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.webapp.support.web import ROOT
from webapp.cli import main

REDIS_DB = 14
"""The Redis database the tests use (the server's db 0 may hold someone's data)."""
COMMAND = [sys.executable, "-c", "from webapp.cli import main; main()"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`cxroi ARGS` in this process: (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def cxroi(env: dict[str, str], *args: str, stdin: str | None = None,
          timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`cxroi ARGS` as a subprocess with `env` added to this process's environment; waits (bounded)."""
    return subprocess.run([*COMMAND, *args], env=os.environ | env, cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=timeout)


def start_cxroi(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    """`cxroi ARGS` started as a subprocess (stdout and stderr to `log`); the caller ends it."""
    with log.open("ab") as handle:
        return subprocess.Popen([*COMMAND, *args], env=os.environ | env, cwd=ROOT, stdout=handle,
                                stderr=subprocess.STDOUT)


def redis_queue_url(server: str) -> str:
    """The Redis server's URL on the tests' own database number."""
    return urlsplit(server)._replace(path=f"/{REDIS_DB}").geturl()


def clean_redis(url: str, name: str) -> None:
    """Delete the keys of the queue `name` at `url`."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = [key for pattern in (f"huey.*.{name}", f"huey.*.{name}.*") for key in client.scan_iter(pattern)]
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def subprocess_env(storage: str, folder: Path, *, redis_server: str | None = None, secret: str = "test-secret",
                   base_url: str = "http://localhost", mail_url: str | None = None,
                   **extra: str) -> Iterator[dict[str, str]]:
    """The environment of `cxroi` subprocesses for one test: a SQLite database in `folder`, the queue on
    `storage` ('sqlite': a file in `folder`; 'redis': a queue name of its own on `redis_server`, cleaned up
    after), the secret key and public address the test's app uses, and the SMTP server when given."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    if storage == "redis":
        assert redis_server, "the redis storage needs the server's URL (the redis_url fixture)"
        queue_url = redis_queue_url(redis_server)
    else:
        queue_url = f"sqlite:///{folder / 'queue.sqlite3'}"
    values = {"CXROI_DATABASE_URL": f"sqlite:///{folder / 'cxroi.sqlite3'}", "CXROI_QUEUE_URL": queue_url,
              "CXROI_QUEUE_NAME": name, "CXROI_SECRET_KEY": secret, "CXROI_BASE_URL": base_url,
              "CXROI_MAIL_FROM": "CX team <cx@example.com>", "CXROI_INSTANCE_PATH": str(folder / "instance"),
              **extra}
    if mail_url is not None:
        values["CXROI_MAIL_URL"] = mail_url
    try:
        yield values
    finally:
        if storage == "redis":
            clean_redis(queue_url, name)
