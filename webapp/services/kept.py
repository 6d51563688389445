"""Values worked out once per long-lived object: a published version's parsed survey (`publishing.survey_of`),
its language views and their questions live as long as the process, and every respondent of a version needs the
same options, fields, page HTML and tally keys."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


class Kept:
    """Values kept under their owners' ids and a key, and found again only for the very same objects (a dead
    object's id can be another's): a kept value holds its owners, so they live as long as it is kept. Forgets
    everything at `limit` entries."""

    def __init__(self, limit: int = 2048) -> None:
        self.limit = limit
        self._values: dict[tuple[Hashable, ...], tuple[tuple[object, ...], Any]] = {}

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        self._values.clear()

    def get(self, owners: tuple[object, ...], key: Hashable = None) -> Any:
        kept = self._values.get((*map(id, owners), key))
        if kept is not None and all(old is new for old, new in zip(kept[0], owners, strict=True)):
            return kept[1]
        return None

    def put(self, owners: tuple[object, ...], key: Hashable, value: Any) -> Any:
        if len(self._values) >= self.limit:
            self.clear()
        self._values[(*map(id, owners), key)] = (owners, value)
        return value
