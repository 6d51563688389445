"""Views of the results pages; each reads one service function and renders it (analyst role and above)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file, stream_with_context
from werkzeug.wrappers import Response as WerkzeugResponse

from ..accounts.guard import requires_role
from ..audit.web import audit
from ..extensions import get_db
from ..privacy.keys import pseudonymiser
from ..services.export import export_to_open_file, stream_csv
from ..services.publishing import find_survey
from .present import (
    METRIC_HEADERS,
    build_charts,
    channel_comparison,
    format_interval,
    format_value,
    headline_metrics,
    language_options,
    metric_rows,
    metric_text,
    not_applicable_note,
)
from .summary import build_survey_results, check_language, list_result_surveys
from .waves import build_wave_results, change_text, trend_charts, wave_groups

bp = Blueprint("results", __name__, url_prefix="/results")
QUERY_LIMIT = 200
EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


@bp.app_template_global()
def results_format(value: float | None, unit: str) -> str:
    return format_value(value, unit)


@bp.get("/")
@requires_role("analyst")
def index() -> str:
    """Every published survey, linking to its results."""
    return render_template("results/index.html", surveys=list_result_surveys(get_db()))


@bp.get("/<slug>")
@requires_role("analyst")
def survey(slug: str) -> str:
    """One survey's results; `?q=` searches the comments, `?language=` keeps the responses in one language."""
    query = request.args.get("q", "")[:QUERY_LIMIT]
    results = build_survey_results(get_db(), slug, comment_query=query, language=request.args.get("language"))
    channels, comparison = channel_comparison(results)
    waves = build_wave_results(get_db(), slug)
    return render_template(
        "results/survey.html", results=results, charts=build_charts(results), cards=headline_metrics(results),
        comparison_channels=channels, comparison=comparison, metric_text=metric_text,
        format_interval=format_interval, metric_rows=metric_rows, not_applicable_note=not_applicable_note,
        metric_headers=METRIC_HEADERS,
        day_rows=[(d.day.isoformat(), d.started, d.completed) for d in results.days],
        drop_rows=[(d.page, d.title, d.stopped) for d in results.drop_off],
        channel_rows=[(c.channel, c.complete, c.partial) for c in results.channels],
        waves=waves, wave_groups=wave_groups(waves) if waves else [], change_text=change_text,
        wave_charts=trend_charts(waves) if waves else [],
        language_options=language_options(results.languages),
    )


@bp.get("/<slug>/responses.<kind>")
@requires_role("analyst")
def export(slug: str, kind: str) -> WerkzeugResponse:
    """Every response (partial and complete) as CSV (streamed), XLSX, Parquet, SPSS (.sav) or Stata (.dta)."""
    if kind not in EXPORT_TYPES:
        abort(404)
    session = get_db()
    find_survey(session, slug)  # 404 before any byte is sent
    language = check_language(session, slug, request.args.get("language"))  # one language's responses: a 400 else
    # the box on the page: customer ids replaced by keyed-hash pseudonyms (docs/security.md, "Privacy")
    pseudonym = pseudonymiser(current_app.config["SECRET_KEY"]) if request.args.get("pseudonymise") else None
    audit("responses_exported", slug, format=kind, **({"pseudonymised": True} if pseudonym else {}),
          **({"language": language} if language else {}))
    session.commit()
    name = f"{slug}-responses{f'-{language}' if language else ''}{'-pseudonymised' if pseudonym else ''}.{kind}"
    if kind == "csv":  # rows go out as they are read: the first bytes at once, one piece in memory
        response = current_app.response_class(stream_with_context(stream_csv(session, slug, pseudonym=pseudonym,
                                                                                language=language)),
                                              mimetype="text/csv")
        response.headers.set("Content-Disposition", "attachment", filename=name)
    else:  # written to a temporary file on disk, then sent from it (the file is gone once sent)
        response = send_file(export_to_open_file(session, slug, f".{kind}", pseudonym=pseudonym, language=language),
                             mimetype=EXPORT_TYPES[kind], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"  # respondents' answers: kept by no cache
    return response
