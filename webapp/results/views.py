"""Views of the results pages; each reads one service function and renders it (analyst role and above)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, current_app, render_template, request, send_file, stream_with_context
from werkzeug.wrappers import Response as WerkzeugResponse

from ..accounts.guard import requires_role
from ..audit.web import audit
from ..extensions import get_db
from ..privacy.keys import pseudonymiser
from ..services.export import export_to_open_file, stream_csv
from ..services.publishing import find_survey, latest_version, survey_of
from .crosstab import SMALL_GROUP, cross_tab_rows, metric_options, segment_options, survey_cross_tab
from .filters import survey_filters
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
from .screen_outs import NO_CHANNEL, ResponseCounts, screen_outs_by_survey
from .summary import build_survey_results, check_language, list_result_surveys
from .timeline import timeline_chart
from .waves import build_wave_results, change_text, trend_charts, wave_groups

bp = Blueprint("results", __name__, url_prefix="/results")
QUERY_LIMIT = 200
FILTER_FIELDS = ("since", "until", "version", "channel", "segment", "wave", "language")
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
    session = get_db()
    return render_template("results/index.html", surveys=list_result_surveys(session),
                           screened=screen_outs_by_survey(session))


@bp.get("/<slug>")
@requires_role("analyst")
def survey(slug: str) -> str:
    """One survey's results; `?q=` searches the comments; the filters (`webapp.results.filters`: since, until,
    version, channel, segment, wave, language) apply to every figure; `?metric=&by=` shows a cross-tab."""
    query = request.args.get("q", "")[:QUERY_LIMIT]
    filters = {name: request.args.get(name, "")[:QUERY_LIMIT] for name in FILTER_FIELDS}
    session = get_db()
    results = build_survey_results(session, slug, comment_query=query, filters=filters)
    channels, comparison = channel_comparison(results)
    waves = build_wave_results(get_db(), slug, counted=results.filtered)
    survey_model = survey_of(latest_version(get_db(), slug))
    metric, by = request.args.get("metric", "")[:QUERY_LIMIT], request.args.get("by", "")[:QUERY_LIMIT]
    cross_tab = survey_cross_tab(get_db(), slug, results.filters, metric, by) if metric or by else None
    timeline = timeline_chart(results.days)
    screen_outs = results.screen_outs  # apart from the complete ones
    counts = ResponseCounts.of(results.complete, results.partial, screen_outs.total)
    return render_template(
        "results/survey.html", results=results, charts=build_charts(results, screen_outs),
        cards=headline_metrics(results), counts=counts, screen_outs=screen_outs,
        comparison_channels=channels, comparison=comparison, metric_text=metric_text,
        format_interval=format_interval, metric_rows=metric_rows, not_applicable_note=not_applicable_note,
        metric_headers=METRIC_HEADERS, timeline=timeline,
        drop_rows=[(d.page, d.title, d.stopped) for d in results.drop_off],
        channel_rows=[(c.channel, c.complete - screen_outs.by_channel.get(c.channel or NO_CHANNEL, 0),
                       screen_outs.by_channel.get(c.channel or NO_CHANNEL, 0), c.partial) for c in results.channels],
        waves=waves, wave_groups=wave_groups(waves) if waves else [], change_text=change_text,
        wave_charts=trend_charts(waves) if waves else [],
        language_options=language_options(results.languages), filter_args=results.filters.query_args(),
        cross_tab=cross_tab, cross_tab_rows=cross_tab_rows(cross_tab) if cross_tab else [],
        metric_options=metric_options(survey_model), segment_options=segment_options(survey_model),
        chosen_metric=metric, chosen_by=by, small_group=SMALL_GROUP,
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
    filters, where = survey_filters(session, slug, {name: request.args.get(name, "")[:QUERY_LIMIT]
                                                    for name in FILTER_FIELDS})  # the page's filters: a 400 else
    # the box on the page: customer ids replaced by keyed-hash pseudonyms (docs/security.md, "Privacy")
    pseudonym = pseudonymiser(current_app.config["SECRET_KEY"]) if request.args.get("pseudonymise") else None
    audit("responses_exported", slug, format=kind, **({"pseudonymised": True} if pseudonym else {}),
          **({"language": language} if language else {}),
          **({"filters": filters.query_args()} if filters.active else {}))
    session.commit()
    narrowed = "-filtered" if replace(filters, language=None).active else ""  # by more than the language
    name = f"{slug}-responses{f'-{language}' if language else ''}{narrowed}{'-pseudonymised' if pseudonym else ''}.{kind}"
    if kind == "csv":  # rows go out as they are read: the first bytes at once, one piece in memory
        response = current_app.response_class(stream_with_context(stream_csv(session, slug, pseudonym=pseudonym,
                                                                                language=language, where=where)),
                                              mimetype="text/csv")
        response.headers.set("Content-Disposition", "attachment", filename=name)
    else:  # written to a temporary file on disk, then sent from it (the file is gone once sent)
        response = send_file(export_to_open_file(session, slug, f".{kind}", pseudonym=pseudonym, language=language,
                                                 where=where),
                             mimetype=EXPORT_TYPES[kind], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"  # respondents' answers: kept by no cache
    return response
