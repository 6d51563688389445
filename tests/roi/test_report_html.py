"""The HTML report: the same content as the PDF, every piece of text escaped, charts as inline SVG."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from roi.report import headline, render_html
from tests.roi.report_samples import COMMENT_MARKUP, degenerate_results, sample_results


class Collect(HTMLParser):
    """Tags and text of a page, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids += [value for name, value in attrs if name == "id" and value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Collect:
    parser = Collect()
    parser.feed(page)
    return parser


def test_comment_markup_is_escaped_and_reads_back_as_text() -> None:
    page = render_html(sample_results())
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;three times&lt;/b&gt;" in page
    parsed = parse(page)
    assert "script" not in parsed.tags and "b" not in parsed.tags
    assert COMMENT_MARKUP in "".join(parsed.text)  # unescaped by the parser: exactly what the customer typed


def test_markup_in_chart_labels_is_escaped_inside_the_svg() -> None:
    results = sample_results()
    results["segments"]["rows"][0]["level"] = "<script>x()</script>"
    page = render_html(results)
    assert "<script>" not in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert any("&lt;script&gt;x()&lt;/script&gt;" in svg for svg in svgs)


def test_same_headline_and_sections_as_the_pdf() -> None:
    results = sample_results()
    parsed = parse(render_html(results))
    text = re.sub(r"\s+", " ", "".join(parsed.text))
    assert headline(results) in text
    for title in ("Executive summary", "Which metric predicts retention", "What drives retention and revenue",
                  "Revenue at risk", "How long customers stay", "Model tables", "Data quality",
                  "Methods and caveats", "Glossary"):
        assert title in text
    assert "a" * 64 in text


def test_charts_are_inline_svg_with_unique_ids() -> None:
    parsed = parse(render_html(sample_results()))
    assert parsed.tags.count("svg") >= 5
    assert len(parsed.ids) == len(set(parsed.ids))  # every chart's clip path has its own id


def test_degenerate_results_have_no_money_in_the_headline() -> None:
    results = degenerate_results()
    page = render_html(results)
    assert "no evidence" in page
    first_paragraph = re.search(r'<p class="headline">(.*?)</p>', page, flags=re.S)
    assert first_paragraph and "$" not in first_paragraph.group(1)
