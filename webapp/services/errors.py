"""Errors of the hosting services; each is a `CxroiError` (clear message, exit 2 on the command line) and
carries the HTTP status a respondent page answers with."""

from __future__ import annotations

from surveys.errors import CxroiError


class HostingError(CxroiError):
    """Bad input to a hosting service; `status` is the HTTP status for web pages."""

    status = 400
    title = "Something is wrong with this request"


class UnknownSurvey(HostingError):
    status = 404
    title = "Survey not found"


class UnknownLink(HostingError):
    status = 404
    title = "Link not found"


class ClosedSurvey(HostingError):
    status = 410
    title = "This survey is closed"


class ExpiredLink(HostingError):
    status = 410
    title = "This link has expired"
