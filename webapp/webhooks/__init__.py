"""Webhooks: programs subscribe a URL to events (`response.completed`, `case.created`, `report.finished`,
`survey.published`); each event becomes a signed delivery sent by the task queue with retries and a log
(docs/webhooks.md)."""

from __future__ import annotations

from flask import Flask


def init_webhooks(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
