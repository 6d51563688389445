"""Settings: the only module that reads the environment or the instance folder.

`create_app` starts from `settings_from_environment()` and applies its own `config` argument over it, so a test
(or an embedding program) can set any of these directly as a Flask setting.

Environment variable → app setting:

* `CXROI_DATABASE_URL` → `DATABASE_URL`: SQLAlchemy URL; default `sqlite:///<instance>/cxroi.sqlite3`.
* `CXROI_SECRET_KEY` → `SECRET_KEY`: signs sessions and CSRF tokens; when unset, one is generated once and kept
  in `<instance>/secret_key` (mode 0600) so restarts and several workers agree on it — on SQLite only: with any
  other database the app refuses to start without it (several hosts would each generate their own).
* `CXROI_AUTO_UPGRADE` → `AUTO_UPGRADE`: `1` migrates the database when the app starts, `0` never does (a schema
  that is behind refuses the start: run `cxroi db upgrade`); unset: on for SQLite (zero setup), off otherwise
  (production migrates as a deploy step).
* `CXROI_PROXY_HOPS` → `PROXY_HOPS`: how many trusted proxies (load balancer, reverse proxy) stand in front of
  the app and set `X-Forwarded-For`/`X-Forwarded-Proto`; the client address is then taken from that header
  (werkzeug's ProxyFix). Default 0: the headers are ignored (a client could forge them).
* `CXROI_REDIS_URL` → `REDIS_URL`: the Redis server that keeps the respondents' submit limit for every app
  server (`redis://host:port/db`); unset: `CXROI_QUEUE_URL` when that is a Redis URL, else each process keeps
  its own counts in memory. When Redis cannot be reached, each process counts in its own memory until it can again
  (logged; `webapp.extensions`).
* `CXROI_RATELIMIT_KEY_PREFIX` → `RATELIMIT_KEY_PREFIX`: the prefix of the submit limit's keys in Redis, so
  several deployments (or test runs) can share one Redis server without counting each other's clients; default
  `cxroi`.
* `CXROI_INSTANCE_PATH` (the `INSTANCE_PATH` argument of `create_app`): the instance folder; default Flask's
  instance folder of the `webapp` package.
* `CXROI_BASE_URL` (read when a link is made): the public address used in invitation links; default
  `http://127.0.0.1:8000`.
* `CXROI_SECURE_COOKIES` → `SECURE_COOKIES`: `1` marks the session cookie Secure, any other value does not;
  unset: Secure when `CXROI_BASE_URL` is https.
* `CXROI_SUBMIT_RATE_PER_MINUTE` → `SUBMIT_RATE_PER_MINUTE`: respondents' submissions per minute per client
  (0 turns the limit off); default 60.
* `CXROI_SUBMIT_BURST` → `SUBMIT_BURST`: submissions a client may send at once; default 30.
* `CXROI_QUEUE_URL` → `QUEUE_URL`: the task queue's storage (`webapp.queue`, docs/queue.md): `redis://host:port/db`
  (or `rediss://`, `unix://`) for Redis, `sqlite:///path` for a SQLite file; default
  `sqlite:///<instance>/queue.sqlite3` (no setup). The web app, `cxroi worker` and the CLI must all name the same one.
* `CXROI_QUEUE_NAME` → `QUEUE_NAME`: the queue's name (its keys in Redis), so several deployments can share one
  Redis server; default `cxroi`.
* `CXROI_REPORT_JOBS_PER_USER` → `REPORT_JOBS_PER_USER`: report jobs one user may have queued or running at once
  (0: no limit); default 3.
* `CXROI_REPORT_LEASE_SECONDS` (read by the worker, `report_lease_seconds_from_environment`): how long a running
  report job's lease lasts without a heartbeat before another worker picks the job up again; default 60.
* `CXROI_PUBLIC_LINK_DAYS` → `PUBLIC_LINK_DAYS`: days a signed customer id in a public link stays valid (surveys
  with `customer_id_param`, docs/respondent-pages.md); default 90.
* `CXROI_MAIL_URL` (read by the mail worker, `mail_url_from_environment`): the SMTP server invitations are sent
  through, `smtp://host:port` or `smtps://user:password@host:port` (user and password URL-quoted); unset: each
  message is written to the log and its invitation marked "not sent" (docs/distribution.md).
* `CXROI_MAIL_FROM` (`mail_from_environment`): the From address of invitations; default
  `cxroi@<host of CXROI_BASE_URL>`.
* `CXROI_MAIL_LEASE_SECONDS` (read by the mail worker, `mail_lease_seconds_from_environment`): how long a message
  claimed by a worker that stopped answering waits before another worker takes it over; default 120.
* `CXROI_CONTACT_DAYS` → `CONTACT_DAYS`: the programme's contact rule (docs/waves.md): a customer surveyed (invited,
  by any survey) less than this many days ago gets no new invitation and is listed as skipped; 0 turns the rule
  off; default 90. `cxroi invite` and `cxroi wave start` take `--contact-days N` for one run.
* `CXROI_WEBHOOK_ALLOW_PRIVATE` (read where webhooks are checked and sent, `webhook_allow_private_from_environment`):
  `1` lets webhooks go to private, loopback and other internal addresses (targets inside the network); link-local
  and cloud metadata addresses are refused always (docs/webhooks.md). Default off.
* `CXROI_WEBHOOK_RETRY_SECONDS` (`webhook_retry_seconds_from_environment`): the wait before a failed webhook
  delivery's second attempt, doubled for each later one; default 60.
* `CXROI_API_RATE_PER_MINUTE` → `API_RATE_PER_MINUTE`: requests each REST API key may make a minute (0: no
  limit); default 600 (docs/api.md).
* `CXROI_AUDIT_RETENTION_DAYS` (read by the worker, `audit_retention_days_from_environment`): audit events older
  than this many days (at least 90) are deleted by the queue's daily task; unset: kept forever (docs/security.md).
* `CXROI_API_REDIS_RETRY_SECONDS` → `API_REDIS_RETRY_SECONDS`: while Redis is down, how long each app process
  counts API requests in memory before trying Redis again; default 30 (docs/api.md).
* `CXROI_OIDC_ISSUER` → `OIDC_ISSUER`, `CXROI_OIDC_CLIENT_ID` → `OIDC_CLIENT_ID`, `CXROI_OIDC_CLIENT_SECRET` →
  `OIDC_CLIENT_SECRET`: single sign-on with an OpenID Connect provider (docs/security.md): its issuer URL (the
  provider's `/.well-known/openid-configuration` is read from it; https, or http on the loopback only) and this
  site's client id and secret there. All three set: the sign-in page offers "Sign in with …"; none: no single
  sign-on; some but not all: the app refuses to start.
* `CXROI_OIDC_PROVIDER_NAME` → `OIDC_PROVIDER_NAME`: the name on that button; default the issuer's host name.
* `CXROI_OIDC_ROLE_CLAIM` → `OIDC_ROLE_CLAIM`, `CXROI_OIDC_TEAM_CLAIM` → `OIDC_TEAM_CLAIM`: the ID token claims
  whose values give the role (`author`, `analyst`, `admin` or `agent`) and team of a user signing in for the first
  time; unset, or a value naming no role: such a user is refused until an admin adds them.
* `CXROI_UPLOAD_MEMORY_MB` → `UPLOAD_MEMORY_MB`, `CXROI_UPLOAD_SECONDS` → `UPLOAD_SECONDS`: an uploaded definition
  or outcomes file is read in a child process that may use this many MB beyond the libraries it has loaded and
  run this many seconds (webapp.services.isolated); past either, the upload is refused (413) with a message
  saying which. Defaults 1024 MB and 30 seconds.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

TEXT_BODY_LIMIT = 1024 * 1024
"""Largest request body accepted (1 MiB): far above any page of answers, far below a memory problem."""

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_PUBLIC_LINK_DAYS = 90.0
DEFAULT_QUEUE_NAME = "cxroi"
DEFAULT_REPORT_JOBS_PER_USER = 3
DEFAULT_REPORT_LEASE_SECONDS = 60.0
DEFAULT_CONTACT_DAYS = 90.0
DEFAULT_UPLOAD_MEMORY_MB = 1024
DEFAULT_UPLOAD_SECONDS = 30.0


def instance_path_from_environment() -> Path:
    """`CXROI_INSTANCE_PATH`, or the instance folder Flask would pick for the `webapp` package."""
    configured = os.environ.get("CXROI_INSTANCE_PATH")
    return Path(configured) if configured else Path(Flask("webapp").instance_path)


def database_url_from_environment(instance_path: Path | None = None) -> str:
    """`CXROI_DATABASE_URL`, or a SQLite file in the instance folder."""
    configured = os.environ.get("CXROI_DATABASE_URL")
    if configured:
        return configured
    folder = instance_path or instance_path_from_environment()
    return f"sqlite:///{folder / 'cxroi.sqlite3'}"


def queue_url_from_environment(instance_path: Path | None = None) -> str:
    """`CXROI_QUEUE_URL`, or a SQLite file in the instance folder (the embedded default)."""
    configured = os.environ.get("CXROI_QUEUE_URL", "").strip()
    if configured:
        return configured
    folder = instance_path or instance_path_from_environment()
    return f"sqlite:///{folder / 'queue.sqlite3'}"


def queue_name_from_environment() -> str:
    return os.environ.get("CXROI_QUEUE_NAME", "").strip() or DEFAULT_QUEUE_NAME


def report_lease_seconds_from_environment() -> float:
    """`CXROI_REPORT_LEASE_SECONDS` (a number > 0), default 60."""
    configured = os.environ.get("CXROI_REPORT_LEASE_SECONDS", "").strip()
    try:
        value = float(configured) if configured else DEFAULT_REPORT_LEASE_SECONDS
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ValueError(f"CXROI_REPORT_LEASE_SECONDS must be a number of seconds > 0, not {configured!r}")
    return value


def report_jobs_per_user(value: Any) -> int:
    """The `REPORT_JOBS_PER_USER` setting (None or "" for the default) as a count; 0 means no limit."""
    try:
        count = DEFAULT_REPORT_JOBS_PER_USER if value in (None, "") else int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ValueError(f"REPORT_JOBS_PER_USER (CXROI_REPORT_JOBS_PER_USER) must be a whole number >= 0, "
                         f"not {value!r}")
    return count


def contact_days(value: Any) -> float:
    """The `CONTACT_DAYS` setting (None or "" for the default, 90) as a number of days; 0 means no rule."""
    try:
        days = DEFAULT_CONTACT_DAYS if value in (None, "") else float(value)
    except (TypeError, ValueError):
        days = -1.0
    if not 0 <= days < float("inf"):
        raise ValueError(f"CONTACT_DAYS (CXROI_CONTACT_DAYS) must be a number of days >= 0, not {value!r}")
    return days


def upload_limits(memory_mb: Any, seconds: Any) -> tuple[int, float]:
    """The `UPLOAD_MEMORY_MB` and `UPLOAD_SECONDS` settings (None or "" for the defaults) as (MB, seconds)."""
    try:
        memory = DEFAULT_UPLOAD_MEMORY_MB if memory_mb in (None, "") else int(memory_mb)
    except (TypeError, ValueError):
        memory = 0
    if memory <= 0:
        raise ValueError(f"UPLOAD_MEMORY_MB (CXROI_UPLOAD_MEMORY_MB) must be a whole number of MB > 0, not {memory_mb!r}")
    try:
        limit = DEFAULT_UPLOAD_SECONDS if seconds in (None, "") else float(seconds)
    except (TypeError, ValueError):
        limit = 0.0
    if not 0 < limit < float("inf"):
        raise ValueError(f"UPLOAD_SECONDS (CXROI_UPLOAD_SECONDS) must be a number of seconds > 0, not {seconds!r}")
    return memory, limit


def contact_days_from_environment() -> float:
    """`CXROI_CONTACT_DAYS` (see `contact_days`)."""
    return contact_days(os.environ.get("CXROI_CONTACT_DAYS", "").strip())


def base_url_from_environment() -> str:
    return os.environ.get("CXROI_BASE_URL", DEFAULT_BASE_URL).rstrip("/")


def mail_url_from_environment() -> str | None:
    """`CXROI_MAIL_URL` (the SMTP server of invitation mail), or None when unset or empty (the log backend)."""
    return os.environ.get("CXROI_MAIL_URL", "").strip() or None


def mail_from_environment() -> str:
    """`CXROI_MAIL_FROM`, or `cxroi@` the host of `CXROI_BASE_URL`."""
    from urllib.parse import urlsplit

    configured = os.environ.get("CXROI_MAIL_FROM", "").strip()
    return configured or f"cxroi@{urlsplit(base_url_from_environment()).hostname or 'localhost'}"


def mail_lease_seconds_from_environment() -> float:
    """`CXROI_MAIL_LEASE_SECONDS` (a number > 0), default 120."""
    configured = os.environ.get("CXROI_MAIL_LEASE_SECONDS", "").strip()
    try:
        value = float(configured) if configured else 120.0
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"CXROI_MAIL_LEASE_SECONDS must be a number of seconds > 0, not {configured!r}")
    return value


def secure_cookies_from_environment() -> bool:
    """`CXROI_SECURE_COOKIES=1` (any other value: no), or, when unset, whether `CXROI_BASE_URL` is https."""
    configured = os.environ.get("CXROI_SECURE_COOKIES")
    return configured == "1" if configured is not None else base_url_from_environment().startswith("https://")


def settings_from_environment(instance_path: Path) -> dict[str, Any]:
    """The app settings the environment gives (see above); an unset number is None (its default)."""
    return {
        "DATABASE_URL": database_url_from_environment(instance_path),
        "SECURE_COOKIES": secure_cookies_from_environment(),
        "SUBMIT_RATE_PER_MINUTE": os.environ.get("CXROI_SUBMIT_RATE_PER_MINUTE"),
        "SUBMIT_BURST": os.environ.get("CXROI_SUBMIT_BURST"),
        "QUEUE_URL": queue_url_from_environment(instance_path),
        "QUEUE_NAME": queue_name_from_environment(),
        "REPORT_JOBS_PER_USER": os.environ.get("CXROI_REPORT_JOBS_PER_USER"),
        "PUBLIC_LINK_DAYS": os.environ.get("CXROI_PUBLIC_LINK_DAYS"),
        "CONTACT_DAYS": os.environ.get("CXROI_CONTACT_DAYS"),
        "UPLOAD_MEMORY_MB": os.environ.get("CXROI_UPLOAD_MEMORY_MB"),
        "UPLOAD_SECONDS": os.environ.get("CXROI_UPLOAD_SECONDS"),
        "SECRET_KEY": os.environ.get("CXROI_SECRET_KEY") or None,
        "AUTO_UPGRADE": {"1": True, "0": False}.get(os.environ.get("CXROI_AUTO_UPGRADE", "").strip()),
        "PROXY_HOPS": os.environ.get("CXROI_PROXY_HOPS"),
        "REDIS_URL": redis_url_from_environment(),
        "RATELIMIT_KEY_PREFIX": os.environ.get("CXROI_RATELIMIT_KEY_PREFIX", "").strip() or None,
        "API_RATE_PER_MINUTE": os.environ.get("CXROI_API_RATE_PER_MINUTE"),
        "API_REDIS_RETRY_SECONDS": os.environ.get("CXROI_API_REDIS_RETRY_SECONDS"),
        "OIDC_ISSUER": os.environ.get("CXROI_OIDC_ISSUER", "").strip() or None,
        "OIDC_CLIENT_ID": os.environ.get("CXROI_OIDC_CLIENT_ID", "").strip() or None,
        "OIDC_CLIENT_SECRET": os.environ.get("CXROI_OIDC_CLIENT_SECRET", "").strip() or None,
        "OIDC_PROVIDER_NAME": os.environ.get("CXROI_OIDC_PROVIDER_NAME", "").strip() or None,
        "OIDC_ROLE_CLAIM": os.environ.get("CXROI_OIDC_ROLE_CLAIM", "").strip() or None,
        "OIDC_TEAM_CLAIM": os.environ.get("CXROI_OIDC_TEAM_CLAIM", "").strip() or None,
    }


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url_from_environment() -> str | None:
    """`CXROI_REDIS_URL`, else `CXROI_QUEUE_URL` when it names a Redis server, else None."""
    configured = os.environ.get("CXROI_REDIS_URL", "").strip()
    if configured:
        return configured
    queue = os.environ.get("CXROI_QUEUE_URL", "").strip()
    return queue if queue.startswith(REDIS_SCHEMES) else None


def proxy_hops(value: Any) -> int:
    """The `PROXY_HOPS` setting (None or "" for 0) as a count of trusted proxies."""
    try:
        hops = 0 if value in (None, "") else int(value)
    except (TypeError, ValueError):
        hops = -1
    if hops < 0:
        raise ValueError(f"PROXY_HOPS (CXROI_PROXY_HOPS) must be a whole number >= 0, not {value!r}")
    return hops


def public_link_seconds(days: Any) -> float:
    """The `PUBLIC_LINK_DAYS` setting (None or "" for the default) as a maximum age in seconds."""
    try:
        value = DEFAULT_PUBLIC_LINK_DAYS if days in (None, "") else float(days)
    except (TypeError, ValueError):
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"PUBLIC_LINK_DAYS (CXROI_PUBLIC_LINK_DAYS) must be a number of days >= 0, not {days!r}")
    return value * 86400


def child_environment(**settings: str) -> dict[str, str]:
    """This process's environment with `settings` added, for a child process (e.g. `CXROI_DATABASE_URL`)."""
    return {**os.environ, **settings}


def secret_key_for(instance_path: Path) -> str:
    """`CXROI_SECRET_KEY`, or the key kept in the instance folder, created on first use."""
    configured = os.environ.get("CXROI_SECRET_KEY")
    if configured:
        return configured
    path = instance_path / "secret_key"
    if path.exists():
        return _read_when_written(path)
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        # O_EXCL: when two workers start at once, one writes the key and the other reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def _read_when_written(path: Path) -> str:
    """The key in `path`, waiting briefly if another worker created the file but has not written it yet."""
    import time

    for _ in range(50):
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty; delete it or set CXROI_SECRET_KEY")


def webhook_allow_private_from_environment() -> bool:
    """`CXROI_WEBHOOK_ALLOW_PRIVATE=1`: webhooks may target internal addresses (default: refused)."""
    return os.environ.get("CXROI_WEBHOOK_ALLOW_PRIVATE", "").strip() == "1"


def webhook_retry_seconds_from_environment() -> float:
    """`CXROI_WEBHOOK_RETRY_SECONDS` (a number >= 0), default 60."""
    configured = os.environ.get("CXROI_WEBHOOK_RETRY_SECONDS", "").strip()
    try:
        value = float(configured) if configured else 60.0
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ValueError(f"CXROI_WEBHOOK_RETRY_SECONDS must be a number of seconds >= 0, not {configured!r}")
    return value


def audit_retention_days_from_environment() -> str | None:
    """`CXROI_AUDIT_RETENTION_DAYS` as written (checked by `webapp.audit.retention.check_retention_days`)."""
    return os.environ.get("CXROI_AUDIT_RETENTION_DAYS", "").strip() or None
