"""`cxroi analyze --codebook FILE` (issue 17): comments are coded with the given codebook, the file is named in
the results with its sha256, and a broken codebook exits 2 with a message naming the file and the place."""

from __future__ import annotations

import json
import re
from pathlib import Path

from roi.themes.planted import planted_comments
from tests.roi.test_roi_cli import cxroi

CODEBOOK = "themes:\n  - {id: courier, name: The courier, keywords: [courier, parcel]}\n"


def test_analyze_codes_with_the_given_codebook(tmp_path: Path) -> None:
    planted = planted_comments(600, seed=4)
    planted.responses.to_csv(tmp_path / "responses.csv", index=False)
    planted.outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    (tmp_path / "roi.yaml").write_text("bootstrap: 20\n")
    (tmp_path / "book.yaml").write_text(CODEBOOK)
    done = cxroi("analyze", "--responses", tmp_path / "responses.csv", "--outcomes", tmp_path / "outcomes.csv",
                 "--config", tmp_path / "roi.yaml", "--codebook", tmp_path / "book.yaml", "-o", tmp_path / "r.json")
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["inputs"]["files"]["codebook"]["name"] == "book.yaml"
    [courier] = results["themes"]["themes"]
    assert results["themes"]["codebook"]["source"] == "given"
    mentions = planted.responses["q_comment"].map(
        lambda t: isinstance(t, str) and re.search(r"\b(courier|parcel)\b", t.lower()) is not None)
    assert courier["customers"] == int(mentions.sum())

    (tmp_path / "bad.yaml").write_text("themes:\n  - {id: Bad Id, name: x}\n")
    done = cxroi("analyze", "--responses", tmp_path / "responses.csv", "--outcomes", tmp_path / "outcomes.csv",
                 "--codebook", tmp_path / "bad.yaml", "-o", tmp_path / "r2.json")
    assert done.returncode == 2
    assert "bad.yaml: themes[0].id" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r2.json").exists()
