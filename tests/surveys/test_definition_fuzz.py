"""Fuzzing the definition loaders: any bytes or any data give a Survey or InvalidDefinition, never another error."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import QUESTION_TYPES, InvalidDefinition, build_survey, read_survey
from surveys.definition import parse_survey_text

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 30), st.floats(allow_nan=True), st.text(max_size=12))
json_like = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=5)),
    max_leaves=20,
)

question = st.fixed_dictionaries(
    {"id": st.sampled_from(["q1", "q2", "q3", "1x", ""]), "type": st.sampled_from([*QUESTION_TYPES, "bogus"]),
     "text": st.text(max_size=20)},
    optional={
        "required": scalars, "show_if": st.sampled_from(["q1 > 2", "q2 in ['a']", "answered(q3)", "q1 >", "x y"]),
        "choices": st.lists(st.fixed_dictionaries({"code": st.sampled_from(["a", "b", "a"]), "label": st.text(max_size=5)}),
                            max_size=3),
        "scale": st.fixed_dictionaries({"min": st.integers(-3, 12), "max": st.integers(-3, 12)}),
        "points": st.integers(3, 8), "promises": st.lists(st.sampled_from(["easy", "zz"]), max_size=2),
        "used_channels_from": st.sampled_from(["q1", "q2"]), "min": scalars, "max": scalars,
    },
)
survey_like = st.fixed_dictionaries(
    {"id": st.sampled_from(["s", "bad id"]), "title": st.text(max_size=10),
     "sections": st.lists(st.fixed_dictionaries({"id": st.sampled_from(["p1", "p2"]), "title": st.just("P"),
                                                 "questions": st.lists(question, max_size=4)}), max_size=3)},
    optional={"brand_promises": st.just([{"id": "easy", "label": "Easy"}]),
              "channels": st.just([{"id": "phone", "label": "Phone"}])},
)


def load_or_reject(data: Any) -> None:
    try:
        survey = build_survey(data)
    except InvalidDefinition as error:
        assert error.problems, "a rejection must say what is wrong"
        for problem in error.problems:
            assert problem.message
        return
    assert survey.columns()  # a loaded survey is usable


@given(json_like)
def test_any_data(data: Any) -> None:
    load_or_reject(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(survey_like)
def test_survey_shaped_data(data: dict[str, Any]) -> None:
    load_or_reject(data)


@given(st.binary(max_size=200))
def test_any_bytes_as_yaml_or_json(tmp_path_factory: Any, raw: bytes) -> None:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    for name in ("s.yaml", "s.json"):
        path = folder / name
        path.write_bytes(raw)
        try:
            read_survey(path)
        except InvalidDefinition as error:
            assert str(path) in str(error)


@given(st.text(max_size=200))
def test_any_text(text: str) -> None:
    for fmt in ("yaml", "json"):
        with contextlib.suppress(InvalidDefinition):  # anything else fails the test
            parse_survey_text(text, fmt=fmt)


@pytest.mark.parametrize(("fmt", "text"), [("json", "[" * 100_000 + "]" * 100_000), ("yaml", "[" * 100_000)])
def test_deeply_nested_document_is_rejected_cleanly(fmt: str, text: str) -> None:
    with pytest.raises(InvalidDefinition):
        parse_survey_text(text, fmt=fmt)
