"""The themes pages: the themes of a survey's comments (analysts and above) and the codebook editor (authors).

Every POST is CSRF-checked (Flask-WTF) and saves a new codebook version through `service.edit_codebook`;
a form whose version is no longer the latest is refused with 409, a bad form or codebook with 400.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from roi.themes import codebook as edits
from roi.themes.codebook import Codebook, InvalidCodebook
from surveys.errors import CxroiError

from ..accounts.guard import current_user, requires_role
from ..extensions import csrf, get_db
from ..security import body_limit
from ..services.publishing import find_survey
from . import service
from .forms import (
    RULES_HINT,
    AddThemeForm,
    DeleteForm,
    DiscoverForm,
    ImportForm,
    MergeForm,
    RenameForm,
    RulesForm,
    SplitForm,
    split_rules,
)
from .overview import build_themes_overview

bp = Blueprint("themes", __name__)
QUERY_LIMIT = 200
CODEBOOK_LIMIT = 20 * 1024 * 1024
"""Largest codebook file accepted (a 5,000-term vocabulary with 30 components is about 3 MB)."""


def _by() -> str | None:
    user = current_user()
    return user.email if user is not None else None


@bp.get("/results/<slug>/themes")
@requires_role("analyst")
def overview(slug: str) -> ResponseReturnValue:
    """Themes of the complete responses' comments; `?q=` searches the comments, `?theme=ID` shows one theme's."""
    db = get_db()
    found = build_themes_overview(db, slug, query=request.args.get("q", "")[:QUERY_LIMIT],
                                  theme=request.args.get("theme") or None)
    return render_template("themes/overview.html", page=found)


@bp.get("/themes/<slug>/codebook.yaml")
@requires_role("analyst")
def download(slug: str) -> WerkzeugResponse:
    """The codebook in use (or `?version=N`) as YAML."""
    version = request.args.get("version", type=int)
    text = service.codebook_yaml(get_db(), slug, version)
    name = f"{slug}-codebook{f'-v{version}' if version else ''}.yaml"
    return send_file(io.BytesIO(text.encode("utf-8")), mimetype="application/yaml", as_attachment=True,
                     download_name=name)


def _forms(codebook: Codebook | None, posted: FlaskForm | None = None, posted_key: str = "") -> dict[str, Any]:
    """Every form of the editor, each prefixed so ids stay unique; `posted` replaces the one under `posted_key`."""
    version = str(codebook.version) if codebook else "0"
    forms: dict[str, Any] = {
        "discover": DiscoverForm(prefix="discover", based_on=version, formdata=None),
        "add": AddThemeForm(prefix="add", based_on=version, formdata=None),
        "import": ImportForm(prefix="import", based_on=version, formdata=None),
        "merge": _merge_form(codebook, formdata=None),
        "themes": {},
    }
    for theme in codebook.themes if codebook else ():
        forms["themes"][theme.id] = {
            "rename": RenameForm(prefix=f"{theme.id}-rename", based_on=version, name=theme.name, formdata=None),
            "rules": RulesForm(prefix=f"{theme.id}-rules", based_on=version, keywords=", ".join(theme.keywords),
                               exclude=", ".join(theme.exclude), formdata=None),
            "split": SplitForm(prefix=f"{theme.id}-split", based_on=version, formdata=None),
            "delete": DeleteForm(prefix=f"{theme.id}-delete", based_on=version, formdata=None),
        }
    if posted is not None:
        if "/" in posted_key:
            theme_id, kind = posted_key.split("/")
            forms["themes"].setdefault(theme_id, {})[kind] = posted
        else:
            forms[posted_key] = posted
    return forms


def _merge_form(codebook: Codebook | None, **kwargs: Any) -> MergeForm:
    form = MergeForm(prefix="merge", based_on=str(codebook.version) if codebook else "0", **kwargs)
    form.themes.choices = [(t.id, t.name) for t in codebook.themes] if codebook else []
    return form


def _editor(slug: str, *, posted: FlaskForm | None = None, key: str = "", problem: str | None = None,
            status: int = 200) -> ResponseReturnValue:
    db = get_db()
    record = find_survey(db, slug)
    codebook = service.current_codebook(db, slug)
    return render_template("themes/codebook.html", slug=slug, title=record.title, codebook=codebook,
                           versions=service.codebook_versions(db, slug), forms=_forms(codebook, posted, key),
                           problem=problem, rules_hint=RULES_HINT), status


@bp.get("/themes/<slug>/codebook")
@requires_role("author")
def codebook(slug: str) -> ResponseReturnValue:
    """The codebook editor: themes with their words and rules, and the forms that change them."""
    return _editor(slug)


def _save(slug: str, form: FlaskForm, key: str, change: Callable[[Codebook], Codebook], note: str
          ) -> ResponseReturnValue:
    """Validate `form`, apply `change` to the codebook it was shown with, save the result as a new version."""
    if not form.validate_on_submit():
        return _editor(slug, posted=form, key=key, problem="Nothing was changed: correct the field marked below.",
                       status=400)
    db = get_db()
    try:
        current = service.current_codebook(db, slug)
        if current is None:
            raise service.HostingError(f"survey {slug!r} has no codebook yet: find themes first")
        saved = service.save_codebook(db, slug, change(current), by=_by(), note=note[:500],
                                      based_on=_version(form))
    except (InvalidCodebook, CxroiError) as error:
        return _editor(slug, posted=form, key=key, problem=f"Nothing was changed: {error}",
                       status=getattr(error, "status", 400))
    flash(f"Saved as codebook version {saved.version}.", "success")
    return redirect(url_for(".codebook", slug=slug), 303)


def _version(form: FlaskForm) -> int:
    try:
        return int(form.based_on.data)
    except (TypeError, ValueError):
        return -1  # a missing or tampered version never matches: the change is refused as a conflict


@bp.post("/themes/<slug>/codebook/discover")
@requires_role("author")
def discover(slug: str) -> ResponseReturnValue:
    """Find themes in the complete responses' comments; saved as the next version."""
    form = DiscoverForm(prefix="discover")
    if not form.validate_on_submit():
        return _editor(slug, posted=form, key="discover", problem="No themes were found: correct the field "
                       "marked below.", status=400)
    db = get_db()
    latest = service.current_record(db, slug)
    if (latest.version if latest else 0) != _version(form):
        return _editor(slug, posted=form, key="discover", status=409,
                       problem="Nothing was changed: the codebook was changed meanwhile; reload the page.")
    try:
        saved, _ = service.discover(db, slug, themes=form.themes.data, seed=form.seed.data or 0, by=_by())
    except CxroiError as error:
        return _editor(slug, posted=form, key="discover", problem=str(error), status=getattr(error, "status", 400))
    flash(f"Found {len(service.current_codebook(db, slug).themes)} themes: codebook version {saved.version}.",  # type: ignore[union-attr]
          "success")
    return redirect(url_for(".codebook", slug=slug), 303)


@bp.post("/themes/<slug>/codebook/import")
@csrf.exempt
@requires_role("author")
@body_limit(lambda: CODEBOOK_LIMIT)
def import_codebook(slug: str) -> ResponseReturnValue:
    """A codebook file (exported earlier, or edited by hand) saved as the next version.

    A codebook can be larger than the app-wide body limit (made for answer pages): the view declares its own
    (`body_limit`, set before anything reads the body), and its form checks its own CSRF token.
    """
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        why = ("this form's security token is missing, wrong or from an old session: reload the page and send "
               "it again" if form.csrf_token.errors else "choose a file")
        return _editor(slug, posted=form, key="import", problem=f"Nothing was imported: {why}.", status=400)
    upload = form.file.data
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        return _editor(slug, posted=form, key="import", problem="Nothing was imported: the file is not UTF-8 text.",
                       status=400)
    try:
        saved = service.import_codebook(get_db(), slug, text, by=_by(), source=upload.filename or "codebook")
    except CxroiError as error:
        return _editor(slug, posted=form, key="import", problem=f"Nothing was imported: {error}",
                       status=getattr(error, "status", 400))
    flash(f"Imported as codebook version {saved.version}.", "success")
    return redirect(url_for(".codebook", slug=slug), 303)


@bp.errorhandler(413)
def too_large(_error: Exception) -> ResponseReturnValue:
    """A codebook file over the upload limit: the editor again, saying so (the app's page speaks of answers)."""
    slug = (request.view_args or {}).get("slug", "")
    return _editor(str(slug), problem="Nothing was imported: the file is larger than this server accepts in one "
                   "upload. Delete themes you do not need and import it again.", status=413)


@bp.post("/themes/<slug>/codebook/add")
@requires_role("author")
def add(slug: str) -> ResponseReturnValue:
    form = AddThemeForm(prefix="add")
    return _save(slug, form, "add", lambda c: edits.add_theme(c, form.name.data, keywords=split_rules(form.keywords.data)),
                 f"added theme {form.name.data!r}")


@bp.post("/themes/<slug>/codebook/merge")
@requires_role("author")
def merge(slug: str) -> ResponseReturnValue:
    form = _merge_form(service.current_codebook(get_db(), slug))
    return _save(slug, form, "merge", lambda c: edits.merge_themes(c, list(form.themes.data), name=form.name.data),
                 f"merged {', '.join(form.themes.data or [])}")


@bp.post("/themes/<slug>/codebook/<theme_id>/<kind>")
@requires_role("author")
def change(slug: str, theme_id: str, kind: str) -> ResponseReturnValue:
    """Rename, set the rules of, split or delete one theme."""
    key = f"{theme_id}/{kind}"
    prefix = f"{theme_id}-{kind}"
    if kind == "rename":
        rename = RenameForm(prefix=prefix)
        return _save(slug, rename, key, lambda c: edits.rename_theme(c, theme_id, rename.name.data),
                     f"renamed {theme_id}")
    if kind == "rules":
        rules = RulesForm(prefix=prefix)
        return _save(slug, rules, key, lambda c: edits.set_rules(c, theme_id, keywords=split_rules(rules.keywords.data),
                                                                 exclude=split_rules(rules.exclude.data)),
                     f"rules of {theme_id}")
    if kind == "split":
        split = SplitForm(prefix=prefix)
        return _save(slug, split, key, lambda c: edits.split_theme(c, theme_id, keywords=split_rules(split.keywords.data),
                                                                   name=split.name.data), f"split {theme_id}")
    if kind == "delete":
        delete = DeleteForm(prefix=prefix)
        return _save(slug, delete, key, lambda c: edits.delete_theme(c, theme_id), f"deleted {theme_id}")
    return _editor(slug, problem=f"Nothing was changed: unknown change {kind[:40]!r}.", status=404)
