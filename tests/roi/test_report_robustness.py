"""Whatever shape a results.json part takes, the report renders (a "not available" line at worst)."""

from __future__ import annotations

import copy
import io
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from roi.report import render_html, render_pdf
from tests.roi.report_samples import sample_results

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a nested results document."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*prefix, key))
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.append((*prefix, index))
            found += paths(child, (*prefix, index))
    return found


ALL_PATHS = paths(sample_results())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), JSON), min_size=1, max_size=4))
# failures found by this test once, kept as fixed cases
@example([(("survival", "curves", 2, "times", 0), None)])
@example([(("retention", "joint", "kind"), None), (("retention", "models", 1, "name"), True)])
@example([(("warnings", 1, "code"), None)])
def test_any_part_replaced_by_any_json_still_renders(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    results = sample_results()
    for path, value in changes:
        target: Any = results
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path
    out = io.BytesIO()
    pages = render_pdf(results, out)
    assert len(PdfReader(io.BytesIO(out.getvalue())).pages) == pages
    assert "<html" in render_html(results)
