"""A bilingual survey answered in French in a real Chromium (issue 13): the personal link of a customer whose
list says `fr` opens in French, every page passes axe-core (WCAG 2.1 A/AA), a French error is shown and fixed, the
plan answered on page 1 is piped into page 2's title, the customer's name into the thank-you text (escaped), and
the export written by `cxroi responses export` has the response's language in its `language` column."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from surveys.files import read_survey
from tests.e2e.support import PHONE, LiveSite, assert_accessible, shot, stored_response
from webapp.services.customer_lists import read_customer_list
from webapp.services.invitations import create_invitations
from webapp.services.publishing import publish_survey
from webapp.storage.engine import open_session

ROOT = Path(__file__).resolve().parents[2]
BILINGUAL = ROOT / "examples" / "bilingual.yaml"


def test_a_customer_answers_the_bilingual_survey_in_french(site: LiveSite, browser: Any, tmp_path: Path) -> None:
    survey = read_survey(BILINGUAL)
    customers = read_customer_list("customer_id,language,name\ne2e-fr,fr,Zoé <i>D.</i>\n".encode())
    with open_session(site.database_url, upgrade=False) as session:
        publish_survey(session, survey)
        [link] = create_invitations(session, survey.id, customers.rows, "email")
    # the browser asks for English: the customer list's language comes first
    context = browser.new_context(viewport=PHONE, locale="en-GB", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(site.url(f"/s/{link.token}"))
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").inner_text() == "Nos promesses"
        assert page.locator(".progress").inner_text() == "Page 1 sur 2"
        assert page.locator("nav.languages a[aria-current=true]").inner_text() == "Français"
        assert_accessible(page, "page 1 in French")
        shot(page, "languages-fr-1-first-page")

        page.check('input[name="q_align.easy"][value="4"]')
        page.click("button[type=submit]")  # the partner promise and the plan left out
        assert page.title().startswith("Erreur")
        summary = page.locator(".error-summary").inner_text()
        assert "Il y a un problème" in summary
        assert "répondez pour chaque ligne\u00a0: Nous vous traitons en partenaire" in summary
        assert "cette question demande une réponse" in summary
        assert_accessible(page, "page 1 in French with errors")
        shot(page, "languages-fr-2-errors")

        page.check('input[name="q_align.partner"][value="5"]')
        page.check('input[name="q_plan"][value="pro"]')
        page.check('input[name="q_channels"][value="phone"]')
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "Votre offre Professionnelle"
        assert page.locator(".progress").inner_text() == "Page 2 sur 2"
        assert "Téléphone" in page.locator("main").inner_text()
        assert_accessible(page, "page 2 in French")
        shot(page, "languages-fr-3-second-page")
        page.check('input[name="q_friction.ordering"][value="yes"]')
        page.fill('[name="q_friction.ordering.what"]', "Le formulaire était long")
        page.check('input[name="q_friction.billing"][value="no"]')
        page.check('input[name="q_channel.phone"][value="4"]')
        page.check('input[name="q_nps"][value="9"]')
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "Merci"
        assert "Merci, Zoé <i>D.</i> : chaque réponse est lue par une personne." in page.locator("main").inner_text()
        assert page.locator("main i").count() == 0  # the customer's name is shown as text, never as markup
        assert_accessible(page, "the French thank-you page")
        shot(page, "languages-fr-4-thanks")
    finally:
        context.close()

    stored = stored_response(site.database_url, "e2e-fr")
    assert stored is not None and stored["status"] == "complete"
    assert stored["answers"]["q_plan"] == "pro" and stored["answers"]["q_nps"] == 9

    out = tmp_path / "responses.csv"
    env = os.environ | {"CXROI_DATABASE_URL": site.database_url, "CXROI_INSTANCE_PATH": str(tmp_path / "instance")}
    subprocess.run([sys.executable, "-c", "from webapp.cli import main; main()", "responses", "export", survey.id,
                    "-o", str(out)], check=True, env=env, capture_output=True)
    with out.open(encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["customer_id"] == "e2e-fr" and row["language"] == "fr" and row["q_plan"] == "pro"
