"""Recording an audit event from a web request: the actor is the signed-in user, the client the address the
request came from (as ProxyFix sees it behind a trusted balancer)."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp.accounts.guard import current_user
from webapp.extensions import get_db

from .service import ANONYMOUS, record


def actor_and_client() -> tuple[str, str]:
    user = current_user()
    return (user.email if user is not None else ANONYMOUS), (request.remote_addr or "")


def audit(action: str, target: str = "", *, actor: str | None = None, **detail: Any) -> None:
    """Add the event to this request's database session (stored with the caller's next commit)."""
    who, client = actor_and_client()
    record(get_db(), action, actor=actor or who, target=target, client=client, detail=detail)
