"""Errors of the REST API as RFC 9457 problem details (`application/problem+json`): `type`, `title`, `status`,
`detail`, `instance`, and for invalid input `errors` — each with the `pointer` or field it is about."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request

PROBLEM_TYPE = "https://cxroi.example/problems/"
"""Problem type URIs are this plus a short name (documented in docs/api.md), e.g. `…/invalid-definition`."""


def problem(status: int, title: str, detail: str, *, kind: str = "", **extra: Any) -> Response:
    body = {"type": PROBLEM_TYPE + kind if kind else "about:blank", "title": title, "status": status,
            "detail": detail, "instance": request.path, **extra}
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="cxroi"'
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return Response(json.dumps(body), status=status, mimetype="application/problem+json", headers=headers)


class ApiProblem(Exception):
    """Raised by the API's views for a refusal that is not an `HostingError` (missing scope, bad query)."""

    def __init__(self, status: int, title: str, detail: str, *, kind: str = "", **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.kind, self.extra = status, title, detail, kind, extra

    def response(self) -> Response:
        return problem(self.status, self.title, self.detail, kind=self.kind, **self.extra)
