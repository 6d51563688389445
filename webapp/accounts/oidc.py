"""Single sign-on with an OpenID Connect provider, through Authlib's Flask client (docs/security.md).

The authorization-code flow with PKCE (S256) and a nonce, the provider's endpoints and keys read from its
discovery document (`<issuer>/.well-known/openid-configuration`). Authlib keeps the state, nonce and PKCE
verifier in the signed session cookie (nothing per host, so any app server can take the callback) and checks
the ID token's signature against the provider's JWKS and its nonce; this module also requires its issuer
and audience, and the discovery document's issuer to be the configured one. Who the identity is in cxroi is
decided by `webapp.accounts.sso`; the session is then made exactly as for a password sign-in (`start_session`).

Routes exist only when `OIDC_ISSUER`, `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET` are all set (webapp.config).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from joserfc.errors import JoseError
from werkzeug.wrappers import Response as WerkzeugResponse

from ..extensions import get_db
from .sso import ClaimMapping, SignInRefused, refuse, user_for_identity
from .views import safe_next, start_session

bp = Blueprint("oidc", __name__)

CLIENT_NAME = "oidc"
SCOPE = "openid email profile"
HTTP_TIMEOUT = 10.0
"""Seconds to wait for the provider's discovery, keys and token endpoints."""
NEXT_KEY = "oidc_next"


def init_oidc(app: Flask) -> None:
    """Offer single sign-on when it is configured: register Authlib's client and the two routes, and give the
    sign-in page the provider's name (`oidc_provider`). Raises ValueError for a half or unsafe configuration."""
    issuer, client_id, secret = (app.config.get(key) for key in ("OIDC_ISSUER", "OIDC_CLIENT_ID",
                                                                  "OIDC_CLIENT_SECRET"))
    if not (issuer or client_id or secret):
        return
    if not (issuer and client_id and secret):
        raise ValueError("single sign-on needs all of CXROI_OIDC_ISSUER, CXROI_OIDC_CLIENT_ID and "
                         "CXROI_OIDC_CLIENT_SECRET (or none of them)")
    issuer = str(issuer).rstrip("/")
    if not _safe_issuer(issuer):
        raise ValueError(f"CXROI_OIDC_ISSUER must be an https:// URL (http:// only on this machine), not {issuer!r}")
    oauth = OAuth(app)
    oauth.register(CLIENT_NAME, client_id=client_id, client_secret=secret,
                   server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                   client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT})
    app.config["OIDC_ISSUER"] = issuer
    name = app.config.get("OIDC_PROVIDER_NAME") or urlsplit(issuer).hostname or issuer
    app.register_blueprint(bp)
    app.context_processor(lambda: {"oidc_provider": name})


def _safe_issuer(issuer: str) -> bool:
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _client() -> Any:
    return current_app.extensions["authlib.integrations.flask_client"].create_client(CLIENT_NAME)


def _client_address() -> str:
    return request.remote_addr or ""


def _discovered(client: Any) -> dict[str, Any]:
    """The provider's discovery document, which must name the configured issuer (OpenID Connect Discovery 4.3)."""
    metadata: dict[str, Any] = client.load_server_metadata()
    issuer = current_app.config["OIDC_ISSUER"]
    if str(metadata.get("issuer", "")).rstrip("/") != issuer:
        raise refuse(get_db(), f"The sign-in provider's discovery document names the issuer "
                               f"{metadata.get('issuer')!r}, not {issuer!r}.", "wrong_issuer",
                     client=_client_address(), status=502)
    return metadata


def _unreachable(problem: Exception) -> Exception:
    return refuse(get_db(), f"The sign-in provider could not be reached or answered unexpectedly "
                            f"({type(problem).__name__}); try again later or sign in with a password.",
                  "provider_unreachable", client=_client_address(), status=502)


@bp.errorhandler(SignInRefused)
def refused(error: SignInRefused) -> tuple[str, int]:
    """The refusal in words, with the way back to the sign-in page (a password still works)."""
    title = error.title if error.status < 500 else "The sign-in provider could not be used"
    return render_template("accounts/sso_refused.html", title=title, message=str(error)), error.status


@bp.get("/login/sso")
def start() -> WerkzeugResponse:
    """Send the visitor to the provider (the state, nonce and PKCE verifier stay in the session)."""
    client = _client()
    try:
        _discovered(client)
        session[NEXT_KEY] = request.args.get("next", "")
        response: WerkzeugResponse = client.authorize_redirect(url_for("oidc.callback", _external=True))
    except (requests.RequestException, ValueError, KeyError) as problem:
        raise _unreachable(problem) from None
    return response


@bp.get("/login/sso/callback")
def callback() -> WerkzeugResponse:
    """The provider's answer: verify the ID token, find the user, and sign them in."""
    client = _client()
    try:
        metadata = _discovered(client)
        token = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": client.client_id},
            "sub": {"essential": True},
        })
    except (AuthlibBaseError, JoseError) as problem:
        raise refuse(get_db(), f"The sign-in provider's answer could not be accepted: {_described(problem)}. "
                               "Please sign in again.", "token_refused", client=_client_address(),
                     status=401) from None
    except (requests.RequestException, ValueError, KeyError) as problem:
        raise _unreachable(problem) from None
    claims = token.get("userinfo")
    if not claims:  # no ID token (or no nonce kept for it): nothing says who this is
        raise refuse(get_db(), "The sign-in provider sent no ID token. Please sign in again.", "no_id_token",
                     client=_client_address(), status=401)
    mapping = ClaimMapping(current_app.config.get("OIDC_ROLE_CLAIM"), current_app.config.get("OIDC_TEAM_CLAIM"))
    user = user_for_identity(get_db(), claims, mapping, client=_client_address())
    target = session.pop(NEXT_KEY, "")
    start_session(user)
    return redirect(safe_next(target, user.role))


def _described(problem: Exception) -> str:
    """What was wrong, in words: an expired token, a claim (aud, nonce, iss…) that does not match, a bad
    signature, a state that is not this browser's, or the provider's own error."""
    error, description = getattr(problem, "error", ""), getattr(problem, "description", "")
    return f"{error}: {description}" if description else str(error or problem)
