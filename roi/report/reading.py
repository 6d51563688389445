"""Safe reading of results.json: the report shows what is there and says "not available" for what is not.

results.json comes from `cxroi analyze` (documented in docs/results.md). The report never fills a gap with a
computed or made-up value; these helpers only fetch, and return None/empty when a key is absent or malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def get(results: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path (`scenario.retained_revenue`), or `default` when any step is missing."""
    value = results
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return default if value is None else value


def mapping(results: Any, path: str) -> Mapping[str, Any]:
    value = get(results, path)
    return value if isinstance(value, Mapping) else {}


def records(results: Any, path: str) -> list[Mapping[str, Any]]:
    """A list of objects at `path` (anything that is not an object is skipped)."""
    value = get(results, path)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def first_text(item: Any, *paths: str) -> str | None:
    for path in paths:
        value = get(item, path)
        if isinstance(value, str) and value:
            return value
    return None


def not_available(what: str, key: str) -> str:
    """The line printed instead of a section whose data the analysis did not produce."""
    return f"{what}: not available in these results (results.json has no `{key}`)."
