"""Render the report's content blocks as one self-contained HTML page (inline CSS, inline SVG charts).

Jinja2 with autoescaping does the escaping, so a respondent's `<script>` arrives as text. The charts are the
same reportlab drawings as in the PDF, written as SVG; reportlab escapes the text inside them.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from reportlab.graphics import renderSVG

from .content import Bullets, Figure, Report, Subheading, Table, Text

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report.title }}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
header { border-bottom: 1px solid #999; margin-bottom: 1.5rem; }
.headline { font-size: 1.25rem; font-weight: bold; }
.warning { border-left: 4px solid #555; padding: .3rem .6rem; background: #f3f3f3; }
.note, .small { font-size: .85rem; color: #444; }
.note { font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .5rem 0 1rem; }
th { background: #e6e6e6; text-align: left; border-bottom: 2px solid #333; }
th, td { padding: .2rem .4rem; vertical-align: top; }
td { border-bottom: 1px solid #ccc; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; }
figure svg { width: 100%; max-width: 46rem; height: auto; }
figcaption { font-size: .85rem; color: #444; }
footer { border-top: 1px solid #999; margin-top: 2rem; font-size: .8rem; color: #444; }
</style>
</head>
<body>
<header>
<h1>{{ report.title }}</h1>
<p>{{ report.survey }}{% if report.date %} · {{ report.date }}{% endif %}</p>
</header>
<main>
{% for section in report.sections %}
<section>
<h2>{{ section.title }}</h2>
{% for block in section.blocks %}
{% if block.kind_ == "text" %}
<p class="{{ block.kind }}">{% for line in block.text.split("\\n") %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</p>
{% elif block.kind_ == "bullets" %}
<ul>{% for item in block.entries %}<li>{{ item }}</li>{% endfor %}</ul>
{% elif block.kind_ == "subheading" %}
<h3>{{ block.text }}</h3>
{% elif block.kind_ == "table" %}
<table>
{% if block.caption %}<caption class="small">{{ block.caption }}</caption>{% endif %}
<thead><tr>{% for h in block.header %}<th{% if loop.index0 in block.numeric %} class="num"{% endif %} scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in block.rows %}<tr>{% for v in row %}<td{% if loop.index0 in block.numeric %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% elif block.kind_ == "figure" %}
<figure>{{ block.svg }}<figcaption id="figure{{ block.number }}-caption">{{ block.caption }}</figcaption></figure>
{% endif %}
{% endfor %}
</section>
{% endfor %}
</main>
<footer>
<p>Data sources:</p>
<ul>{% for name, digest in report.sources %}<li>{{ name }} — sha256 <code>{{ digest }}</code></li>{% endfor %}</ul>
</footer>
</body>
</html>
"""

_environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_template = _environment.from_string(_TEMPLATE)


def _svg(figure: Figure, number: int) -> Markup:
    """The drawing as inline SVG with ids unique on the page (every reportlab SVG names its clip `clip`)."""
    svg = renderSVG.drawToString(figure.drawing)
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<title>.*?</title>\s*<desc>.*?</desc>", "", svg, flags=re.S)
    svg = svg.replace('id="clip"', f'id="clip{number}"').replace("url(#clip)", f"url(#clip{number})")
    svg = svg.replace('id="group"', f'id="group{number}"')
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="figure{number}-caption" ', 1)  # its caption names it
    return Markup(svg)  # noqa: S704  # nosec B704 - produced by reportlab, which escapes the text it contains


def render_report_html(report: Report) -> str:
    """The report as one HTML page; every piece of text is escaped by the template."""
    views: list[dict[str, Any]] = []
    figures = 0
    for section in report.sections:
        blocks: list[dict[str, Any]] = []
        for block in section.blocks:
            if isinstance(block, Text):
                blocks.append({"kind_": "text", "text": block.text, "kind": block.kind})
            elif isinstance(block, Bullets):
                blocks.append({"kind_": "bullets", "entries": list(block.items)})
            elif isinstance(block, Subheading):
                blocks.append({"kind_": "subheading", "text": block.text})
            elif isinstance(block, Table):
                blocks.append({"kind_": "table", "header": list(block.header), "rows": [list(r) for r in block.rows],
                               "numeric": block.numeric, "caption": block.caption})
            else:
                figures += 1
                blocks.append({"kind_": "figure", "svg": _svg(block, figures), "caption": block.caption,
                               "number": figures})
        views.append({"title": section.title, "blocks": blocks})
    view = {"title": report.title, "survey": report.survey, "date": report.date,
            "sources": list(report.sources), "sections": views}
    return _template.render(report=view)
