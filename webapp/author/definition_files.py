"""Definition files of a draft: download as YAML, JSON or XLSForm (or exactly as stored), upload to replace the
draft (read in a child process under the upload limits, `webapp.services.uploads`), and the blueprint's answers
to an upload over the request limit and to a stored draft that no longer validates."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from surveys.definition import parse_survey_text, to_data, to_json, to_yaml
from surveys.errors import CxroiError, InvalidDefinition, Problem
from surveys.model import Survey
from surveys.xlsform import XlsformImport

from ..accounts.guard import ALLOWED, current_user, limit_to_own_teams, requires_role
from ..services import authoring, uploads
from ..services.errors import HostingError
from .forms import ConfirmUploadForm, UploadForm
from .views import author_email, bp, db, editor_page


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """An upload over the request limit: said on the editor in the authors' terms, nothing changed."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (f"the upload is larger than {limit // 1024} KB; split a long customer list into several files, "
               "or use the command line (cxroi survey publish, cxroi invite) for very large files")
    slug = (request.view_args or {}).get("slug")
    user = current_user()
    # The body is read (for the CSRF check) before the sign-in guard runs: only an author may see the editor.
    if slug and user is not None and user.role in ALLOWED["author"] and limit_to_own_teams(user):
        try:
            return editor_page(slug, problems=[Problem("", message)], status=413)
        except HostingError:  # an unknown survey: the plain page below
            pass
    return render_template("respond/message.html", title="Too much data", lang="en",
                           message=f"The request was larger than {limit // 1024} KB; nothing was changed."), 413


@bp.errorhandler(InvalidDefinition)
def stored_draft_invalid(error: InvalidDefinition) -> ResponseReturnValue:
    """A page that needs the draft as a survey, when the stored draft no longer validates: the editor explains."""
    slug = (request.view_args or {}).get("slug")
    if not slug:
        abort(400, description=str(error))
    return redirect(url_for(".editor", slug=slug))


@bp.get("/<slug>/definition.<fmt>")
@requires_role("author")
def download(slug: str, fmt: str) -> ResponseReturnValue:
    """The draft as YAML, JSON or XLSForm (.xlsx), as a file download."""
    survey = authoring.read_draft(db(), slug)
    if fmt == "yaml":
        body, mimetype = to_yaml(survey).encode("utf-8"), "application/yaml"
    elif fmt == "json":
        body, mimetype = (to_json(survey) + "\n").encode("utf-8"), "application/json"
    elif fmt == "xlsx":
        from surveys.xlsform import write_xlsform

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{slug}.xlsx"
            write_xlsform(survey, path)
            body = path.read_bytes()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{slug}.{fmt}"'})


@bp.get("/<slug>/stored-draft.json")
@requires_role("author")
def download_stored(slug: str) -> ResponseReturnValue:
    """The draft's data exactly as stored, even when it no longer passes validation (to correct it offline)."""
    body = json.dumps(authoring.draft_definition(db(), slug), indent=2, ensure_ascii=False) + "\n"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-draft.json"'})


@bp.post("/<slug>/upload")
@requires_role("author")
def upload(slug: str) -> ResponseReturnValue:
    """Replace the draft with an uploaded definition; an invalid file shows every problem and changes nothing."""
    form = UploadForm()
    if not form.validate_on_submit():
        return editor_page(slug, problems=[Problem("", "choose a definition file to upload")], status=400)
    file: FileStorage = form.definition.data
    name = Path(file.filename or "upload").name
    try:
        if form.skip_unsupported.data and Path(name).suffix.lower() == ".xlsx":
            imported = uploads.import_xlsform_upload(file.read(), name, limits=uploads.limits_from(current_app.config))
            if imported.survey.id != slug:  # as save_draft says, but before the author reviews the list
                return editor_page(slug, problems=[Problem("settings sheet, form_id", f"{imported.survey.id!r}: must "
                                                           f"be {slug!r}, the id of this survey")], status=400)
            if imported.dropped or imported.notes:  # shown, and saved only when the author confirms
                return _upload_preview(slug, name, imported)
            survey = imported.survey
        else:
            survey = read_uploaded_definition(file, name)
        authoring.save_draft(db(), slug, to_data(survey), author=author_email())
    except InvalidDefinition as error:
        return editor_page(slug, problems=[Problem(p.path, p.message) for p in error.problems], status=400)
    except CxroiError as error:
        return editor_page(slug, problems=[Problem("", f"{name}: {error}")], status=getattr(error, "status", 400))
    flash(f"Replaced the draft with {name}.")
    return redirect(url_for(".editor", slug=slug))


def _upload_preview(slug: str, name: str, imported: XlsformImport) -> ResponseReturnValue:
    """What an XLSForm upload left out (sheet, row, name, why) and decided, with a button to save the rest."""
    record, _, _ = authoring.survey_status(db(), slug)
    confirm = ConfirmUploadForm(formdata=None, data={"definition": to_json(imported.survey), "name": name})
    return render_template("author/upload_preview.html", record=record, name=uploads.safe_name(name),
                           imported=imported, form=confirm)


@bp.post("/<slug>/upload/confirm")
@requires_role("author")
def confirm_upload(slug: str) -> ResponseReturnValue:
    """Save the definition an XLSForm upload gave once the author has seen what was left out; checked again."""
    form = ConfirmUploadForm()
    if not form.validate_on_submit():
        return editor_page(slug, problems=[Problem("", "nothing to save: upload the file again")], status=400)
    name = uploads.safe_name(form.name.data or "upload")
    try:
        survey = parse_survey_text(form.definition.data, fmt="json", source=name)
        authoring.save_draft(db(), slug, to_data(survey), author=author_email())
    except InvalidDefinition as error:
        return editor_page(slug, problems=[Problem(p.path, p.message) for p in error.problems], status=400)
    flash(f"Replaced the draft with {name}, without what cxroi cannot represent.")
    return redirect(url_for(".editor", slug=slug))


def read_uploaded_definition(file: FileStorage, name: str) -> Survey:
    """A checked Survey from an uploaded .yaml/.yml/.json/.xlsx file, read in a child process under the upload
    limits; `InvalidDefinition`, `UploadTooDemanding` or another `CxroiError` otherwise."""
    return uploads.read_definition(file.read(), name, limits=uploads.limits_from(current_app.config))
