"""A real OpenID Connect provider for the single sign-on tests, built from Authlib's server components and served
over HTTP on 127.0.0.1 by werkzeug in a thread.

Discovery (`/.well-known/openid-configuration`), JWKS (`/jwks`), authorize (`/authorize`) and token (`/token`)
endpoints; the authorization-code grant with Authlib's OpenID Connect extension (ID tokens signed RS256 with a
key made for the run) and PKCE (this provider refuses an authorization request without an S256 code challenge).
There is no sign-in form: whoever `identity` names is signed in at the provider and consents at once.

`misbehaviour` makes the provider issue a token the relying party must refuse: for another audience, already
expired, or with another nonce than the one it was sent. `authorization_requests` keeps what was asked.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

KEY_ID = "cxroi-test-key"


@dataclass
class Identity:
    """The person signed in at the provider."""

    sub: str
    email: str
    email_verified: bool = True
    claims: dict[str, Any] = field(default_factory=dict)
    """More claims of the ID token (e.g. a role or team claim)."""


@dataclass
class Misbehaviour:
    audience: str | None = None
    """Issue the ID token to this audience instead of the client."""
    expired: bool = False
    """Issue an ID token that expired an hour ago."""
    nonce: str | None = None
    """Put this nonce in the ID token instead of the one the client sent."""


@dataclass
class Client:
    """The relying party (cxroi) as registered at the provider: a confidential client, one redirect URI."""

    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(part for part in scope.split() if part in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint != "token" or method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    user: Identity
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class OidcProvider:
    """Start with `start()` (or as a context manager); `issuer` is its URL."""

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.client = Client(client_id, client_secret, redirect_uri)
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"}, private=True)
        self.identity: Identity | None = None
        self.misbehaviour = Misbehaviour()
        self.codes: dict[str, AuthorizationCode] = {}
        self.authorization_requests: list[dict[str, str]] = []
        self.issuer = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        self.identity, self.misbehaviour = None, Misbehaviour()
        self.codes.clear()
        self.authorization_requests.clear()

    # the WSGI app ----------------------------------------------------------------------------------------------

    def build_app(self) -> Flask:
        app = Flask("oidc_provider")
        server = AuthorizationServer(app, query_client=self._query_client, save_token=lambda token, req: None)
        server.register_grant(self._code_grant(), [self._openid_code(), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify({
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "scopes_supported": ["openid", "email", "profile"],
            })

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize() -> Any:
            self.authorization_requests.append(request.args.to_dict())
            if request.args.get("code_challenge_method") != "S256" or not request.args.get("code_challenge"):
                return jsonify({"error": "invalid_request", "error_description": "PKCE (S256) is required"}), 400
            try:
                grant = server.get_consent_grant(end_user=self.identity)
            except OAuth2Error as error:
                return jsonify({"error": error.error, "error_description": error.description}), 400
            return server.create_authorization_response(grant=grant, grant_user=self.identity)

        @app.post("/token")
        def token() -> Any:
            return server.create_token_response()

        return app

    def _query_client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client.client_id else None

    def _code_grant(self) -> type[grants.AuthorizationCodeGrant]:
        provider = self

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                provider.codes[code] = AuthorizationCode(
                    code=code, client_id=request.client.get_client_id(), redirect_uri=request.payload.redirect_uri,
                    scope=request.scope, nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"), user=request.user,
                    auth_time=int(time.time()))

            def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
                found = provider.codes.get(code)
                return found if found is not None and found.client_id == client.get_client_id() else None

            def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthorizationCode) -> Identity:
                return authorization_code.user

        return CodeGrant

    def _openid_code(self) -> OpenIDCode:
        provider = self

        class ProviderOpenIDCode(OpenIDCode):
            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": KEY_ID}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                now = int(time.time())
                wrong = provider.misbehaviour
                claims: dict[str, Any] = {"iss": provider.issuer, "aud": [wrong.audience or client.get_client_id()]}
                if wrong.expired:
                    claims.update(iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
                return claims

            def get_authorization_code_claims(self, authorization_code: AuthorizationCode) -> dict[str, Any]:
                claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
                if provider.misbehaviour.nonce is not None:
                    claims["nonce"] = provider.misbehaviour.nonce
                return claims

            def exists_nonce(self, nonce: str, request: Any) -> bool:
                return any(code.nonce == nonce for code in provider.codes.values())

            def generate_user_info(self, user: Identity, scope: str) -> UserInfo:
                return UserInfo(sub=user.sub, email=user.email, email_verified=user.email_verified, **user.claims)

        return ProviderOpenIDCode(require_nonce=True)

    # serving ---------------------------------------------------------------------------------------------------

    def start(self) -> OidcProvider:
        self._server = make_server("127.0.0.1", 0, self.build_app(), threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
