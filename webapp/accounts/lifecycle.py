"""A user's life after creation: deactivate and reactivate, change the role, reset the password, end every
session. The same functions serve the admin page and `cxroi user …`; each records its audit event in the
same transaction as the change.

Ending sessions works by the user's `session_version`: each signed-in session carries the version it was
made under, and the guard refuses a session whose version is no longer the user's (`guard.current_user`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.api.keys import revoke_keys_of
from webapp.audit.service import record

from .models import ROLES, User
from .service import MIN_PASSWORD_LENGTH, AccountError, hash_password


def find_user(session: Session, email: str) -> User:
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise AccountError(f"no user has the e-mail {email.strip().lower()!r}")
    return user


def end_sessions(user: User) -> None:
    """Every session of `user` stops working at its next request (the caller commits)."""
    user.session_version = User.session_version + 1  # in SQL: two bumps at once both count


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to remove the last active admin: nobody could manage users afterwards."""
    if user.role != "admin" or not user.active:
        return
    # the other admins' rows locked (PostgreSQL): two admins removing each other at once wait for one another
    others = len(session.scalars(sa.select(User.id).where(User.role == "admin", User.active.is_(True),
                                                          User.id != user.id)
                                 .order_by(User.id).with_for_update()).all())
    if not others:
        raise AccountError(f"{user.email} is the only active admin; make someone else an admin first")


def _locked_user(session: Session, email: str) -> User:
    """`find_user` with the row locked until the transaction ends (PostgreSQL; SQLite's write transaction
    already serialises) and read afresh, so a concurrent change to it is seen, not overwritten."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()).with_for_update()
                          .execution_options(populate_existing=True))
    if user is None:
        session.rollback()
        raise AccountError(f"no user has the e-mail {email.strip().lower()!r}")
    return user


def set_active(session: Session, email: str, active: bool, *, actor: str, client: str = "") -> User:
    """Deactivate (every session ends, sign-in refused, their API keys revoked) or reactivate a user. The wanted
    state is set, never flipped, with the user's row locked: of two requests for the same state at once, one
    makes the change and is audited, the other waits, finds nothing to do and records nothing."""
    if not active:
        # every active admin's row first, in id order, then the user's: two admins deactivating each other at
        # once queue on the same first row instead of each holding one the other needs (a deadlock)
        session.scalars(sa.select(User.id).where(User.role == "admin", User.active.is_(True))
                        .order_by(User.id).with_for_update()).all()
    user = _locked_user(session, email)
    if user.active == active:
        session.commit()  # ends the transaction and its locks
        return user
    if not active:
        _keep_an_admin(session, user)
        end_sessions(user)
        revoke_keys_of(session, user.email, actor=actor, client=client)  # docs/security.md, "API keys"
    user.active = active
    record(session, "user_activated" if active else "user_deactivated", actor=actor, target=user.email,
           client=client)
    session.commit()
    return user


def set_role(session: Session, email: str, role: str, *, actor: str, client: str = "") -> User:
    """Give a user another role; it applies from their next request (the guard reads the role each time)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    user = find_user(session, email)
    if user.role == role:
        return user
    if role != "admin":
        _keep_an_admin(session, user)
    before, user.role = user.role, role
    record(session, "role_changed", actor=actor, target=user.email, client=client,
           detail={"from": before, "to": role})
    session.commit()
    return user


def reset_password(session: Session, email: str, password: str, *, actor: str, client: str = "") -> User:
    """Set a new password; every session of the user ends (whoever held a copied cookie is signed out)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = find_user(session, email)
    user.password_hash = hash_password(password)
    end_sessions(user)
    record(session, "password_reset", actor=actor, target=user.email, client=client)
    session.commit()
    return user


def unlink_identity(session: Session, email: str, *, actor: str, client: str = "") -> User:
    """Forget the single sign-on identity (subject) bound to a user, e.g. one bound by mistake: every session of
    theirs ends, and their next sign-in through the provider binds whichever identity then shows their e-mail
    as verified (webapp.accounts.sso)."""
    user = find_user(session, email)
    if user.oidc_subject is None:
        return user
    user.oidc_subject = None
    end_sessions(user)
    record(session, "sso_unlinked", actor=actor, target=user.email, client=client)
    session.commit()
    return user
