"""Who a single sign-on identity is in cxroi (no Flask here: `webapp.accounts.oidc` passes the ID token's claims,
already verified — signature, issuer, audience, expiry and nonce).

1. A user already bound to the identity's subject (`sub`) is that user, whatever e-mail the provider now sends:
   an e-mail changed at the provider cannot move the sign-in to another account.
2. Otherwise the e-mail must be verified by the provider (`email_verified` true). An active user with that
   e-mail and no binding yet is bound to the subject; one bound to another subject is refused.
3. No such user: with a claim mapping that names a cxroi role, the user is created with that role (and team);
   without one, refused — an admin must add them first.

A deactivated user is refused in every case. Each sign-in and refusal goes to the audit log.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.audit.service import ANONYMOUS, record
from webapp.storage.models import utcnow
from webapp.storage.teams import Team, TeamMember

from .models import ROLES, User
from .service import AccountError, create_user

VIA = {"via": "oidc"}
TEAM_LENGTH = 64


class SignInRefused(AccountError):
    """The provider vouched for someone this site will not sign in (or its answer could not be verified)."""

    status = 403
    title = "Single sign-on refused"


@dataclass(frozen=True)
class ClaimMapping:
    """Which ID token claims give a new user's role and team (settings `OIDC_ROLE_CLAIM`, `OIDC_TEAM_CLAIM`)."""

    role_claim: str | None = None
    team_claim: str | None = None

    def role(self, claims: Mapping[str, Any]) -> str | None:
        """The one cxroi role the role claim names (a string, or a list holding exactly one role), else None."""
        known = [value for value in _strings(claims.get(self.role_claim)) if value in ROLES] if self.role_claim else []
        return known[0] if len(known) == 1 else None

    def team(self, claims: Mapping[str, Any]) -> str | None:
        """The team the team claim names (a string, or a list of one), else None."""
        values = _strings(claims.get(self.team_claim)) if self.team_claim else []
        return (values[0].strip()[:TEAM_LENGTH] or None) if len(values) == 1 else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def verified_email(claims: Mapping[str, Any]) -> str | None:
    """The claims' e-mail, lower-cased, when the provider says it verified it; else None. Some providers send
    the flag as the string "true"."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip() or claims.get("email_verified") not in (True, "true"):
        return None
    return email.strip().lower()


def refuse(session: Session, message: str, reason: str, *, target: str = "", client: str = "",
           status: int = 403) -> SignInRefused:
    """Record a refused single sign-on (nothing else of this transaction is kept) and return the error to raise."""
    session.rollback()
    record(session, "sign_in_failed", actor=ANONYMOUS, target=target, client=client, detail={**VIA, "reason": reason})
    session.commit()
    refused = SignInRefused(message)
    refused.status = status
    return refused


def user_for_identity(session: Session, claims: Mapping[str, Any], mapping: ClaimMapping, *,
                      client: str = "") -> User:
    """The active user the verified claims identify, bound to their subject and with the sign-in recorded
    (committed); raises SignInRefused, recorded too, when there is none (see the module's rules)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise refuse(session, "The sign-in provider's answer names no usable subject (sub).", "no_subject",
                     client=client, status=401)
    user = session.scalar(sa.select(User).where(User.oidc_subject == subject))
    if user is None:
        user = _bind_by_email(session, subject, claims, mapping, client=client)
    if not user.active:
        raise refuse(session, f"The account {user.email} is deactivated; an admin can reactivate it.",
                     "deactivated", target=user.email, client=client)
    record(session, "sign_in", actor=user.email, target=user.email, client=client, detail=VIA)
    try:
        session.commit()
    except IntegrityError:  # the same subject bound by a simultaneous first sign-in: try again finds it
        raise refuse(session, "Another sign-in of this identity happened at the same moment; please sign in "
                              "again.", "conflict", client=client, status=409) from None
    return user


def _bind_by_email(session: Session, subject: str, claims: Mapping[str, Any], mapping: ClaimMapping, *,
                   client: str) -> User:
    email = verified_email(claims)
    if email is None:
        raise refuse(session, "The sign-in provider has not verified this account's e-mail address, so it cannot "
                              "be matched to a cxroi user. Verify it with the provider, or ask an admin.",
                     "email_not_verified", client=client)
    user = session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        return _create_from_mapping(session, email, subject, claims, mapping, client=client)
    if user.oidc_subject is not None:
        raise refuse(session, f"The cxroi account {email} is linked to another identity at the sign-in provider; "
                              "an admin must sort this out.", "bound_to_another_subject", target=email,
                     client=client)
    if user.active:
        user.oidc_subject = subject
    return user


def _create_from_mapping(session: Session, email: str, subject: str, claims: Mapping[str, Any],
                         mapping: ClaimMapping, *, client: str) -> User:
    role = mapping.role(claims)
    if role is None:
        raise refuse(session, f"There is no cxroi user {email}, and the sign-in provider gives no cxroi role for "
                              "it: an admin must add you before you can sign in.", "unknown_user", client=client)
    # Signing in is through the provider; the random password is never shown (an admin may reset it).
    try:
        user = create_user(session, email, role, secrets.token_urlsafe(32), actor=email, client=client)
    except AccountError as problem:
        raise refuse(session, f"{problem}.", "cannot_create", client=client) from None
    user.team, user.oidc_subject = mapping.team(claims), subject
    _join_mapped_team(session, user)
    return user


def _join_mapped_team(session: Session, user: User) -> None:
    """A new user whose team claim names an existing team sits in it (cases are routed by the same name)."""
    team_id = session.scalar(sa.select(Team.id).where(Team.name == user.team)) if user.team else None
    if team_id is not None and session.get(TeamMember, (team_id, user.id)) is None:
        session.add(TeamMember(team_id=team_id, user_id=user.id, added_at=utcnow()))
