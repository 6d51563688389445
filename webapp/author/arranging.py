"""Reordering questions and pages. Each move is a POST of a small form with a Move up/down button, and the
editor comes back at the moved item's anchor (`#q-<id>`, `#s-<id>`), so the author keeps their place.

Drag and drop (webapp/static/author.js) submits the same question move form with two more fields, `to_page`
and `to_position`, naming where the question was dropped; without JavaScript the buttons do the same one
step at a time.
"""

from __future__ import annotations

from flask import abort, request
from flask.typing import ResponseReturnValue

from ..accounts.guard import requires_role
from ..services import authoring
from . import edits
from .views import _edit, bp, db

STEPS = {"up": -1, "down": 1}
IDENTIFIER_LIMIT = 64


def _step(direction: str) -> int:
    if direction not in STEPS:
        abort(404)
    return STEPS[direction]


@bp.post("/<slug>/questions/<question_id>/move/<direction>")
@requires_role("author")
def move_question(slug: str, question_id: str, direction: str) -> ResponseReturnValue:
    """One step up or down; with `to_page` and `to_position` (a drop), straight to that place."""
    step = _step(direction)
    to_page = request.form.get("to_page", "").strip()
    if not to_page:
        return _edit(slug, lambda data: edits.move_question(data, question_id, step),
                     f"Moved {question_id} {direction}.", anchor=f"q-{question_id}")
    pages = [section.get("id") for section in authoring.draft_definition(db(), slug).get("sections", [])]
    if to_page not in pages:
        abort(400, description=f"to_page: no page {to_page[:IDENTIFIER_LIMIT]!r} in this survey")
    try:
        position = int(request.form.get("to_position", ""))
    except ValueError:
        abort(400, description="to_position: give the place on the page as a whole number (0 is first)")
    if not 0 <= position <= 10_000:
        abort(400, description="to_position: give the place on the page as a whole number (0 is first)")
    return _edit(slug, lambda data: edits.place_question(data, question_id, to_page, position),
                 f"Moved {question_id}.", anchor=f"q-{question_id}")


@bp.post("/<slug>/sections/<section_id>/move/<direction>")
@requires_role("author")
def move_section(slug: str, section_id: str, direction: str) -> ResponseReturnValue:
    step = _step(direction)
    return _edit(slug, lambda data: edits.move_section(data, section_id, step), f"Moved page {section_id}.",
                 anchor=f"s-{section_id}")
