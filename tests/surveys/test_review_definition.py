"""Definition limits that the hosting database relies on: a survey title longer than its 1000-character
column is refused when the file is read (naming `title`), not by a database error at publish time."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from surveys.definition import InvalidDefinition, build_survey

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "relationship.yaml"


def example(**changes: object) -> dict:
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    data.update(changes)
    return data


def test_a_title_of_1000_characters_is_accepted() -> None:
    assert len(build_survey(example(title="T" * 1000)).title) == 1000


def test_a_longer_title_is_refused_naming_the_path() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(example(title="T" * 1001))
    assert [problem.path for problem in caught.value.problems] == ["title"]


def test_a_nul_character_in_the_title_is_refused_naming_the_path() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        build_survey(example(title="Acme\x00survey"))
    assert [(p.path, p.message) for p in caught.value.problems] == [("title", "contains a NUL character")]
