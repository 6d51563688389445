"""The report's "Closing the loop" section: retention of customers whose churn-risk case was closed against
comparable customers whose case was not (`case_loop` in results.json, `roi.case_loop`). Only when the
outcomes carried cases; the association is stated as one, with the comparison method named."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import formatting as f
from .content import Block, Section, Table, Text
from .reading import mapping, records


def _points(value: Any) -> str:
    """A difference of two proportions in percentage points, signed: 0.082 → "+8.2 points"."""
    x = f.number(value)
    return f.MISSING if x is None else f"{x * 100:+.1f} points"


def _interval(bounds: Any) -> str:
    pair = f.bounds_of(bounds)
    return f.MISSING if pair is None else f"{pair[0] * 100:+.1f} to {pair[1] * 100:+.1f} points"


def build_case_loop(results: Mapping[str, Any]) -> Section | None:
    """The section, or None when results.json has no `case_loop`."""
    loop = mapping(results, "case_loop")
    if not loop:
        return None
    closed, not_closed = mapping(loop, "closed"), mapping(loop, "not_closed")
    blocks: list[Block] = [Text(
        f"Customers whose churn-risk case was closed (resolved, won back or lost): {f.count(closed.get('n'))}, of "
        f"whom {f.rate(closed.get('retention'))} stayed. Customers whose case was not closed (open or contacted): "
        f"{f.count(not_closed.get('n'))}, of whom {f.rate(not_closed.get('retention'))} stayed.")]
    if f.number(loop.get("difference")) is not None:
        blocks.append(Text(
            f"Compared within the same risk band, customers whose case was closed stayed "
            f"{_points(loop.get('difference'))} more often (95% interval {_interval(loop.get('ci'))}); without "
            f"matching the risk the difference is {_points(mapping(loop, 'unadjusted').get('difference'))}."))
    else:
        blocks.append(Text("No comparison within risk bands is possible: no band holds customers of both groups."))
    note = loop.get("note")
    blocks.append(Text(str(note) if note else "An association, not the effect of closing a case.", "small"))
    for warning in records(loop, "warnings"):
        blocks.append(Text(f"Warning: {warning.get('message')}", "small"))
    rows = [[str(b.get("band")), f.count(b.get("closed_n")), f.rate(b.get("closed_retention")),
             f.count(b.get("not_closed_n")), f.rate(b.get("not_closed_retention")),
             "yes" if b.get("compared") else "no"] for b in records(loop, "bands")]
    if rows:
        blocks.append(Table(["Risk band", "Closed: n", "Stayed", "Not closed: n", "Stayed", "Compared"], rows,
                            numeric=(1, 2, 3, 4), widths=(0.2, 0.14, 0.14, 0.18, 0.14, 0.2)))
    method = loop.get("method")
    if method:
        blocks.append(Text(f"Method: {method}.", "small"))
    return Section("Closing the loop: closed cases and retention", blocks)
