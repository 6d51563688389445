"""Helpers of the browser tests: a real cxroi server (gunicorn via `cxroi serve`) on a temporary SQLite
database, Debian's Chromium through Playwright, axe-core checks and step screenshots.

Nothing here downloads anything: the browser is /usr/bin/chromium and axe-core comes from the repository's
`node_modules` (`npm ci`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.load import ServerProcess, free_port
from surveys.definition import build_survey
from tests.services import AXE
from webapp.accounts.service import create_user
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import create_engine_for, open_session

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
EXAMPLE = ROOT / "examples" / "relationship.yaml"
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 30_000


@dataclass
class LiveSite:
    """A running server and the database behind it."""

    base_url: str
    database_url: str
    slug: str

    def personal_link(self, customer_id: str) -> str:
        """A new single-use link for `customer_id` (path only)."""
        with open_session(self.database_url, upgrade=False) as session:
            (link,) = create_invitations(session, self.slug, [customer_id], "email")
        return f"/s/{link.token}"

    def url(self, path: str) -> str:
        return self.base_url + path


def start_site(folder: Path) -> tuple[LiveSite, SiteProcesses]:
    """Publish the example survey, create a CX lead (author) and an analyst, start `cxroi serve`."""
    import yaml

    database_url = f"sqlite:///{folder / 'cxroi.sqlite3'}"
    survey = build_survey(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    with open_session(database_url) as session:
        publish_survey(session, survey)
        create_user(session, "lead@example.com", "author", PASSWORD)
        create_user(session, "analyst@example.com", "analyst", PASSWORD)
    port = free_port()
    env = {"CXROI_DATABASE_URL": database_url, "CXROI_INSTANCE_PATH": str(folder / "instance"),
           "CXROI_SECRET_KEY": "e2e-secret", "CXROI_BASE_URL": f"http://127.0.0.1:{port}"}
    server = ServerProcess("", env=env, workers=2, log_path=folder / "server.log", port=port, command=[
        sys.executable, "-c", "from webapp.cli import main; main()", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "2"])
    # the reports page queues its analyses: a `cxroi worker` beside the server runs them, as in production
    worker = subprocess.Popen([sys.executable, "-c", "from webapp.cli import main; main()", "worker", "--workers", "1"],
                              env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes = SiteProcesses(server, worker)
    try:
        server.wait_ready()
    except Exception:
        processes.stop()
        raise
    return LiveSite(server.base_url, database_url, survey.id), processes


class SiteProcesses:
    """The live site's server and its task-queue worker, stopped together."""

    def __init__(self, server: ServerProcess, worker: subprocess.Popen[bytes]) -> None:
        self.server, self.worker = server, worker

    def stop(self) -> None:
        self.worker.terminate()
        try:
            self.worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()
        self.server.stop()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot of this step, for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"), full_page=True)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """One readable line per violation and node, for assertion messages."""
    lines = []
    for violation in violations:
        for node in violation["nodes"][:5]:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at "
                         f"{node['target']} — {node.get('failureSummary', '')[:200]}")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {where}:\n{describe(violations)}"


def stored_response(database_url: str, customer_id: str) -> dict[str, Any] | None:
    """The stored response of `customer_id` (status, page, answers), read with a fresh engine."""
    import sqlalchemy as sa

    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(sa.text(
                "select status, current_page, answers from responses where customer_id = :c"),
                {"c": customer_id}).mappings().one_or_none()
    finally:
        engine.dispose()
    if row is None:
        return None
    answers = row["answers"]
    return {"status": row["status"], "current_page": row["current_page"],
            "answers": json.loads(answers) if isinstance(answers, str) else answers}


def sign_in(page: Any, site: LiveSite, email: str) -> None:
    """Sign in on the real page (checked with axe-core and photographed first)."""
    page.goto(site.url("/login"))
    assert_accessible(page, "the sign-in page")
    shot(page, f"sign-in-{email.split('@')[0]}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
