"""`cxroi demo`: the whole job end to end on the embedded default (SQLite in the instance folder).

1. the bundled templates are validated and linted;
2. synthetic customers with known truth are generated (survey, responses, outcomes, roi.yaml, truth.json);
3. the demo survey is published, its responses stored, personal links made, and demo logins created;
4. the stored responses are scored (NPS, CES, BAS … with intervals);
5. the ROI analysis runs on the stored responses and the outcomes → results.json;
6. the finance report is written (roi-report.pdf and .html);
7. the programme: a wave of e-mail invitations (the mail captured to DIR/mail/*.eml, no SMTP server needed) and
   a follow-up case opened by the survey's rule, its owner's notification captured too (`demo_programme`);
8. the web app is served (unless --no-serve), with the URL and the demo logins printed.
"""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

import click

from ..config import base_url_from_environment, database_url_from_environment
from ..storage.engine import open_session
from .demo_programme import AGENT, RULE, run_programme, with_follow_up
from .root import cli

DEMO_LOGINS = (("author@demo.cxroi", "author"), ("analyst@demo.cxroi", "analyst"), (AGENT, "agent"))


def _check_port_free(port: int) -> None:
    """Refuse at once when the port is taken (e.g. by a demo already running), naming the way out."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(
                f"port {port} on 127.0.0.1 is in use (is a demo already running?); stop it, or serve this one on "
                "another port with --port N (or PORT=N make demo)") from None


def _step(number: int, text: str) -> None:
    click.secho(f"\n[{number}/8] {text}", bold=True)


@cli.command("demo")
@click.option("--no-serve", is_flag=True, help="Stop after writing the report instead of serving the web app.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out"), show_default=True,
              help="Folder for the synthetic data, results.json and the report.")
@click.option("--customers", type=click.IntRange(min=100), default=3000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, envvar="PORT",
              help="Port to serve on (also PORT=N).")
def demo(no_serve: bool, out: Path, customers: int, seed: int, port: int) -> None:
    """Run the whole job on synthetic data: survey, responses, analysis, finance report, web app."""
    if not no_serve:
        _check_port_free(port)  # before anything is changed: a running demo keeps its passwords and version
    # Imported here, not at the top: the analysis and the report load scipy, statsmodels and reportlab, which
    # every other command would then pay for at start-up.
    from roi.report import render_html, render_pdf
    from roi.results import write_results
    from roi.synthetic import build_demo_data, write_demo_data
    from surveys.files import read_survey
    from surveys.library import load_template, template_names, template_path
    from surveys.lint import lint_survey
    from surveys.scoring import score_survey

    from ..accounts.service import ensure_user
    from ..services import create_invitations, publish_survey
    from ..services.analysis import analyze_published_survey, responses_for_analysis
    from ..services.importing import import_responses

    out.mkdir(parents=True, exist_ok=True)
    base_url = base_url_from_environment() if port == 8000 else f"http://127.0.0.1:{port}"

    _step(1, "Bundled templates: validate and lint")
    for name in template_names():
        survey = read_survey(template_path(name))
        findings = lint_survey(survey)
        counts = {level: sum(f.severity == level for f in findings) for level in ("error", "warning", "info")}
        click.echo(f"  {name:<14} valid, {sum(1 for _ in survey.questions()):>2} questions — lint: "
                   f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info")

    _step(2, f"Synthetic customers with known effects ({customers:,}, seed {seed})")
    world = build_demo_data(customers, seed=seed)
    data_dir = out / "data"
    write_demo_data(world, data_dir)
    click.echo(f"  wrote {data_dir}/: survey.yaml, responses.csv, outcomes.csv, roi.yaml, truth.json")

    _step(3, "Publish the survey and store its responses (SQLite in the instance folder)")
    url = database_url_from_environment()
    passwords = {email: secrets.token_urlsafe(9) for email, _ in DEMO_LOGINS}
    survey_with_rule = with_follow_up(world.survey)
    with open_session(url) as session:
        for email, role in DEMO_LOGINS:  # first: the follow-up rule's owner must exist when the survey is published
            ensure_user(session, email, role, passwords[email])
        version = publish_survey(session, survey_with_rule)
        added = import_responses(session, world.survey.id, world.responses, source=str(data_dir / "responses.csv"))
        links = create_invitations(session, world.survey.id, ["demo-customer-1", "demo-customer-2"],
                                   world.survey.channels[0].id)
        relationship = load_template("relationship")
        publish_survey(session, relationship)
        click.echo(f"  database: {url}")
        click.echo(f"  published {world.survey.id} v{version.number}; stored {added} new responses; "
                   f"also published the '{relationship.id}' template")

        _step(4, "Score the stored responses")
        frame, survey = responses_for_analysis(session, world.survey.id)
        card = score_survey(frame, survey)
        for score in card.overall:
            if score.estimate is None:
                continue
            interval = f" (95% CI {score.ci_low:.1f} to {score.ci_high:.1f})" if score.ci_low is not None else ""
            click.echo(f"  {score.label:<40} {score.estimate:7.1f}{interval}, n={score.n}")

        _step(5, "ROI analysis: stored responses × outcomes")
        results = analyze_published_survey(session, world.survey.id, outcomes=data_dir / "outcomes.csv",
                                           config=data_dir / "roi.yaml", seed=seed)
    write_results(results, out / "results.json")
    quality = results.data_quality
    click.echo(f"  wrote {out / 'results.json'}: {quality['matched']} of {quality['respondents']} respondents "
               f"matched to outcomes, {len(results.warnings)} warning(s)")

    _step(6, "Finance report")
    pages = render_pdf(results.to_dict(), out / "roi-report.pdf")
    (out / "roi-report.html").write_text(render_html(results.to_dict()), encoding="utf-8")
    click.echo(f"  wrote {out / 'roi-report.pdf'} ({pages} pages) and {out / 'roi-report.html'}")

    _step(7, "The programme: a wave by e-mail, a follow-up case")
    from ..config import instance_path_from_environment, secret_key_for

    with open_session(url) as session:
        programme = run_programme(session, world.survey.id, survey_with_rule, base_url=base_url,
                                  secret_key=secret_key_for(instance_path_from_environment()),
                                  mail_folder=out / "mail")
    click.echo(f"  started wave '{programme.wave_name}': {programme.invitations} invitation e-mails, captured "
               f"(no SMTP server set) in {out / 'mail'}/")
    for path in programme.captured:
        click.echo(f"    {path}")
    if programme.case_id is not None:
        click.echo(f"  follow-up case {programme.case_id} for customer {programme.case_customer} (rule "
                   f"'{RULE.when}', owner {AGENT}): {base_url}/cases/{programme.case_id}")

    _step(8, "Web app")
    click.echo(f"  respondent link (personal, single use): {links[0].url(base_url)}")
    channel = world.survey.channels[0].id if world.survey.channels else None
    public = f"{base_url}/p/{world.survey.id}" + (f"?channel={channel}" if channel else "")
    click.echo(f"  public link:                            {public}")
    click.echo(f"  sign in at {base_url}/login as")
    for email, role in DEMO_LOGINS:
        click.echo(f"    {role:<8} {email}  password: {passwords[email]}")
    if no_serve:
        click.echo("  (--no-serve: not starting the server; run `cxroi serve` to start it)")
        return
    import subprocess
    import sys

    from ..config import child_environment
    from ..server import run_gunicorn

    # The reports page queues its analyses; a `cxroi worker` process beside the server runs them (same
    # database and queue file in the instance folder), so the demo needs nothing set up. It stops with the server.
    worker = subprocess.Popen([sys.executable, "-c", "from webapp.cli import main; main()", "worker", "--workers", "1"],
                              env=child_environment(CXROI_DATABASE_URL=url), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    click.echo(f"  serving on {base_url} (and a task-queue worker for the reports page) — press Ctrl-C to stop")
    try:
        run_gunicorn(host="127.0.0.1", port=port, workers=2, access_log=False)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
