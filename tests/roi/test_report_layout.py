"""Issue 16, the finance PDF's layout: no blank or near-empty page, every quadrant point numbered without
overprinting, the footer wrapped between sources (never cut mid-phrase), labels instead of raw names, and the
analysis date as the PDF's creation date with the bytes still reproducible. Text via pypdf, pages rendered
with pdftoppm; expected values from the results.json inputs."""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Circle, Drawing, Group, String

from roi.report import render_pdf
from roi.report.charts import QuadrantPoint, build_quadrant
from tests.roi.report_samples import sample_results
from tests.roi.support import RenderedReport


def pdf_text(data: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def render(results: dict) -> bytes:
    out = io.BytesIO()
    render_pdf(results, out)
    return out.getvalue()


def long_results() -> dict:
    """The sample grown to the demo's shape: five groupings of churn rates, nine driver items in a cluster,
    fifteen compared metrics — enough for many pages, where blank and near-empty pages used to appear."""
    results = sample_results()
    rows = results["segments"]["rows"]
    for grouping, levels in (("tenure_band", ["0-12 months", "12-36 months", "36+ months"]),
                             ("revenue_tier", ["low", "middle", "high"]), ("region", ["east", "north", "south", "west"]),
                             ("plan", ["basic", "enterprise", "pro"])):
        for level in levels:
            row = copy.deepcopy(rows[0])
            row.update(grouping=grouping, level=level)
            rows.append(row)
    results["segments"]["groupings"] += ["tenure_band", "revenue_tier", "region", "plan"]
    comparison = results["metric_comparison"]["metrics"]
    for i in range(12):
        extra = copy.deepcopy(comparison[0])
        extra.update(metric=f"item{i}", label=f"Item number {i}", rank=4 + i)
        comparison.append(extra)
    items = results["drivers"]["churned"]["drivers"]
    for i, (share, performance) in enumerate([(1.2, 75.3), (1.5, 75.8), (0.7, 74.4), (4.0, 74.5), (2.7, 61.8),
                                              (10.1, 63.4)]):
        extra = copy.deepcopy(items[0])
        extra.update(item=f"q_friction.x{i}", label=f"Friction {i}", share=share, performance=performance)
        items.append(extra)
    results["drivers"]["revenue"] = copy.deepcopy(results["drivers"]["churned"])
    results["drivers"]["revenue"]["outcome"] = "revenue"
    return results


@pytest.fixture(scope="module")
def long_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[str]]:
    """`long_results()` as it stands, rendered once for the tests that only read it: (the PDF file, the page
    count render_pdf gave, each page's text)."""
    pdf = tmp_path_factory.mktemp("long_report") / "report.pdf"
    pages = render_pdf(long_results(), pdf)
    return pdf, pages, pdf_text(pdf.read_bytes())


def body_rows(pgm: bytes) -> tuple[list[int], int]:
    """Rows with dark pixels in the body of a binary PGM page (between header and footer), and its height."""
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", pgm)
    assert match, "pdftoppm did not write a binary PGM"
    width, height = int(match.group(1)), int(match.group(2))
    pixels = pgm[match.end():]
    top, bottom = int(height * 0.1), int(height * 0.87)
    return [y - top for y in range(top, bottom) if min(pixels[y * width:(y + 1) * width]) < 128], bottom - top


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (Debian poppler-utils)")
def test_no_blank_or_near_empty_page(long_report: tuple[Path, int, list[str]], tmp_path: Path) -> None:
    pdf, pages, _ = long_report
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages > 6
    for image in images[:-1]:  # the last page ends where the report ends
        rows, body = body_rows(image.read_bytes())
        assert rows, f"{image.name} is blank"
        assert max(rows) > body * 0.5, f"{image.name} is filled only to {max(rows) / body:.0%} of its body"


def test_a_heading_never_ends_a_page(long_report: tuple[Path, int, list[str]]) -> None:
    headings = [f"By {g}" for g in ("channel", "tenure band", "revenue tier", "region", "plan")]
    for page in long_report[2]:
        body = page.split("Page ", 1)[0]
        for heading in headings:
            if heading in body:  # what follows the heading (its chart's caption) is on the same page
                assert f"Churn rate by {heading.removeprefix('By ')}, with 95%" in body


def shapes(node: Drawing | Group) -> list[object]:
    found: list[object] = []
    for child in node.contents:
        found.append(child)
        if isinstance(child, Group):
            found += shapes(child)
    return found


def test_every_quadrant_point_has_its_own_number_clear_of_the_others() -> None:
    items = long_results()["drivers"]["churned"]["drivers"]
    points = [QuadrantPoint(i["label"], i["share"], i["performance"]) for i in items]
    drawing = build_quadrant(points, importance_split=11.1, performance_split=64.0, importance_fmt=str,
                             performance_fmt=str, performance_title="P")
    key_x = 460 - 150 - 10 + 14  # the key starts right of the plot
    numbers = [s for s in shapes(drawing) if isinstance(s, String) and s.fontName.endswith("Bold")
               and s.text.isdigit() and s.x < key_x]
    assert sorted(int(s.text) for s in numbers) == list(range(1, len(points) + 1))
    boxes = [(s.x, s.y - 1, s.x + 4.2 * len(s.text) + 1, s.y + 7) for s in numbers]
    dots = [(c.cx - 2.8, c.cy - 2.8, c.cx + 2.8, c.cy + 2.8) for c in shapes(drawing) if isinstance(c, Circle)]
    assert len(dots) == len(points)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:] + dots:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"label {numbers[i].text} overlaps"


def test_footer_wraps_between_sources_and_is_never_cut() -> None:
    results = sample_results()
    results["inputs"]["files"]["responses"] = {"name": "survey:demo_relationship", "bytes": None, "sha256": None}
    results["inputs"]["files"]["config"] = {"name": "roi.yaml", "bytes": 10, "sha256": "c" * 64}
    for page in pdf_text(render(results)):
        page = page.split(" Generated ", 1)[0]  # the furniture: title, survey, the footer's sources
        assert "survey:demo_relationship (responses), no file hash;" in page
        assert f"outcomes.csv (outcomes), sha256 {'b' * 16};" in page
        assert f"roi.yaml (config), sha256 {'c' * 16}" in page  # the third source is no longer dropped
        assert "no file hash (no" not in page and "…" not in page


def test_raw_names_are_replaced_by_labels() -> None:
    results = long_results()
    results["sentiment"]["sample"][0]["question"] = "q_friction.ordering.what"
    results["metrics"].append({"name": "q_friction.ordering", "label": "Ordering", "family": "friction_item"})
    results["revenue_at_risk"]["by_segment"][0]["column"] = "tenure_band"
    text = " ".join(pdf_text(render(results)))
    for raw in ("tenure_band", "revenue_tier", "q_friction.ordering", "tenure_months", "q_why"):
        assert raw not in text, raw
    assert "By tenure band" in text and "By revenue tier" in text
    assert "Ordering (follow-up)" in text and "Why" in text
    assert "Tenure at the survey (months)" in text  # the non-response comparison and revenue-at-risk predictors


def test_creation_date_is_the_analysis_date_and_bytes_reproducible(sample_report: RenderedReport) -> None:
    results = sample_results()  # the inputs of sample_report
    generated = results["inputs"]["generated_at"]  # 2026-11-22T19:00:00Z
    data = sample_report.data
    stamp = "D:" + re.sub(r"\D", "", generated) + "+00'00'"
    info = PdfReader(io.BytesIO(data)).metadata
    assert info is not None
    assert info["/CreationDate"] == stamp and info["/ModDate"] == stamp
    assert render(results) == data
    results["inputs"]["generated_at"] = "2027-01-02T03:04:05Z"
    later = PdfReader(io.BytesIO(render(results))).metadata
    assert later is not None and later["/CreationDate"] == "D:20270102030405+00'00'"
