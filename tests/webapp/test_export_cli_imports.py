"""`cxroi responses export SLUG -o FILE.csv` starts without the statistics libraries (issue 15): scipy, statsmodels
and scikit-learn take seconds to import and a CSV export of a survey without a codebook uses none of them. Each
check runs the command line in a fresh Python (a subprocess, so no module imported by another test counts) and
reads `sys.modules` when the command is done. The constants written out to keep those imports away are checked
against the libraries here."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from surveys.definition import build_survey
from webapp.services import publish_survey
from webapp.services.invitations import create_invitations
from webapp.services.responding import answer_page, start_personal
from webapp.storage.engine import open_session

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "statsmodels", "sklearn")
SLUG = "quick"
DEFINITION: dict[str, Any] = {
    "id": SLUG, "title": "Quick", "sections": [{"id": "main", "title": "Us", "questions": [
        {"id": "q_nps", "type": "nps", "text": "Would you recommend us?", "required": True},
        {"id": "q_ces", "type": "ces", "text": "How easy was it?"},
        {"id": "q_why", "type": "text", "text": "Why?"}]}]}
PROBE = """
import json, sys
from webapp.cli import main
main(sys.argv[1:])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r})))
"""


def _cli(url: str, tmp_path: Path, *args: str) -> tuple[list[str], str]:
    """(the heavy modules loaded, standard output before them) of `cxroi ARGS` in a fresh Python."""
    env = dict(os.environ) | {"CXROI_DATABASE_URL": url, "CXROI_INSTANCE_PATH": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=set(HEAVY)), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    *printed, loaded = done.stdout.strip().splitlines()
    return json.loads(loaded), "\n".join(printed)


def _seed(url: str) -> None:
    """Two complete responses: C1 gives 9 and a comment starting with '=', C2 gives 3 and no comment."""
    with open_session(url) as session:
        publish_survey(session, build_survey(DEFINITION))
        for customer, answers in (("C1", {"q_nps": "9", "q_why": "=fast"}), ("C2", {"q_nps": "3"})):
            [link] = create_invitations(session, SLUG, [customer], "email")
            response = start_personal(session, link.token)
            assert answer_page(session, response.id, 0, answers).kind == "complete"
        session.commit()


def test_a_csv_export_loads_no_statistics_library(sqlite_url: str, tmp_path: Path) -> None:
    _seed(sqlite_url)
    target = tmp_path / "out.csv"
    loaded, printed = _cli(sqlite_url, tmp_path, "responses", "export", SLUG, "-o", str(target))
    assert printed == f"wrote 2 responses to {target}"
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # the file is the real export: both responses, the comment behind the formula guard, no comment empty
    assert [(r["customer_id"], r["status"], r["q_nps"], r["q_why"]) for r in rows] == [
        ("C1", "complete", "9", "'=fast"), ("C2", "complete", "3", "")]
    assert loaded == []


def test_the_export_help_loads_no_statistics_library(sqlite_url: str, tmp_path: Path) -> None:
    loaded, printed = _cli(sqlite_url, tmp_path, "responses", "export", "--help")
    assert "Write every response of SLUG" in printed
    assert loaded == []


def test_the_statistics_libraries_are_still_there_for_the_commands_that_use_them(sqlite_url: str,
                                                                                  tmp_path: Path) -> None:
    """The probe does see them when they are loaded: `cxroi survey score` gives the CES mean a Student t interval,
    with scipy."""
    definition = tmp_path / "quick.json"
    definition.write_text(json.dumps(DEFINITION), encoding="utf-8")
    responses = tmp_path / "responses.csv"
    responses.write_text("response_id,status,q_nps,q_ces\n1,complete,9,6\n2,complete,3,2\n3,complete,10,7\n",
                         encoding="utf-8")
    loaded, printed = _cli(sqlite_url, tmp_path, "survey", "score", str(definition), "--responses", str(responses))
    assert "scipy" in loaded
    # mean (6 + 2 + 7) / 3 = 5; sd √7, t(0.975, 2) = 4.303: ±6.57, clamped to the scale 1–7
    assert "Customer Effort Score, mean (q_ces)      5.00  [1.00, 7.00]" in printed


def test_the_constants_written_out_agree_with_their_libraries() -> None:
    from scipy import stats

    from surveys.scoring.intervals import Z95
    from webapp.api.keys import SCOPES as KEY_SCOPES
    from webapp.cli.api_commands import SCOPES

    assert float(stats.norm.ppf(0.975)) == Z95
    assert SCOPES == KEY_SCOPES
