"""show_if ↔ XLSForm relevant/constraint translation: hand-written pairs, what is refused, and a property test that
the translation there and back keeps the meaning of a condition for any answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree  # a real XPath 1.0 engine (libxml2), to check what the XLSForm expressions mean

from surveys.logic import parse_condition
from surveys.xlsform.expressions import (
    ExportField,
    FieldRef,
    Untranslatable,
    read_bounds,
    to_show_if,
    to_xpath,
    write_bounds,
)

# XLSForm side: names → what they are in cxroi. `yn` came from a Kobo list with names 1/0, renamed c1/c0.
IMPORT = {
    "ces": FieldRef("ces", None, "scale"),
    "plan": FieldRef("plan", None, "choice"),
    "yn": FieldRef("yn", None, "choice", {"1": "c1", "0": "c0"}),
    "used": FieldRef("used", None, "multi"),
    "age": FieldRef("age", None, "number"),
    "why": FieldRef("why", None, "text"),
    "align__easy": FieldRef("align", "easy", "scale"),
    "fr__billing": FieldRef("fr", "billing", "friction"),
}
EXPORT = {
    "ces": ExportField(("ces",), "scale"),
    "plan": ExportField(("plan",), "choice"),
    "used": ExportField(("used",), "multi"),
    "age": ExportField(("age",), "number"),
    "why": ExportField(("why",), "text"),
    "align.easy": ExportField(("align__easy",), "scale"),
    "align.fast": ExportField(("align__fast",), "scale"),
    "align": ExportField(("align__easy", "align__fast"), "grid"),
    "fr.billing": ExportField(("fr__billing",), "friction"),
    "used.chat": ExportField(("used", "chat"), "multi_row"),
    "used.phone": ExportField(("used", "phone"), "multi_row"),
    "used.email": ExportField(("used", "email"), "multi_row"),
}


@pytest.mark.parametrize(("relevant", "show_if"), [
    ("${ces} <= 4", "ces <= 4"),
    ("${ces}<=4", "ces <= 4"),
    ("${plan} = 'pro'", "plan == 'pro'"),
    ('${plan} != "basic"', "not (plan == 'basic')"),  # XPath: an empty answer differs from "basic" too
    ("${yn} = '1'", "yn == 'c1'"),  # renamed choice codes follow the renaming
    ("${yn} = 0", "yn == 'c0'"),
    ("selected(${yn}, '1')", "yn == 'c1'"),
    ("selected(${used}, 'chat')", "'chat' in used"),
    ("selected(${ces}, '7')", "ces == 7"),  # a scale's choice names are its numbers
    ("${ces} >= '5'", "ces >= 5"),
    ("string-length(${why}) > 0", "answered(why)"),
    ("string-length(${why}) = 0", "not answered(why)"),
    ("${why} != ''", "answered(why)"),
    ("${why} = ''", "not answered(why)"),
    ("string-length(${fr__billing}) > 0", "answered(fr.billing)"),
    ("${align__easy} > 3", "align.easy > 3"),
    ("${age} >= 18 and ${age} < 65.5", "age >= 18 and age < 65.5"),
    ("${age} > ${ces}", "age > ces"),
    ("${ces} < 3 or ${ces} > 5 and ${age} > 1", "ces < 3 or ces > 5 and age > 1"),
    ("(${ces} < 3 or ${ces} > 5) and ${age} > 1", "(ces < 3 or ces > 5) and age > 1"),
    ("not(${ces} = 4)", "not (ces == 4)"),
    ("not(selected(${used}, 'chat') or ${age} > 3)", "not ((('chat' in used) or age > 3))"),
])
def test_relevant_to_show_if(relevant: str, show_if: str) -> None:
    got = to_show_if(relevant, IMPORT)
    # compared by meaning and by text: the text is what a CX lead reads after import
    assert parse_condition(got).tree == parse_condition(show_if).tree


@pytest.mark.parametrize(("relevant", "words"), [
    ("${ces} + 1 > 3", "'+"),
    ("today() > ${age}", "today()"),
    ("${nobody} = 1", "${nobody}"),
    ("${used} = 'chat'", "use selected()"),
    ("count-selected(${used}) > 1", "count-selected() has no show_if equivalent"),
    ("${ces}", "a condition must be"),
    ("string-length(${why}) > 3", "tests for an answer"),
    ("${used} > 1", "cannot be compared directly"),
    ("${age} = 'old'", "is a number"),
    ("jr:choice-name(${plan}, '${plan}') = 'Pro'", "jr:choice-name"),
    ("${ces} = 4 and", "the end"),
])
def test_relevant_that_cannot_be_translated(relevant: str, words: str) -> None:
    with pytest.raises(Untranslatable) as caught:
        to_show_if(relevant, IMPORT)
    assert words in str(caught.value)


@pytest.mark.parametrize(("show_if", "relevant"), [
    ("ces <= 4", "${ces} <= 4"),
    ("plan == 'pro'", "${plan} = 'pro'"),
    ("plan in ['a', 'b']", "(${plan} = 'a' or ${plan} = 'b')"),
    ("plan not in ['a']", "string-length(${plan}) > 0 and not(${plan} = 'a')"),
    ("plan != 'a'", "(string-length(${plan}) > 0 and ${plan} != 'a')"),
    ("used in ['phone', 'chat']", "(selected(${used}, 'phone') or selected(${used}, 'chat'))"),
    ("'chat' in used", "selected(${used}, 'chat')"),
    ("answered(align)", "(string-length(${align__easy}) > 0 or string-length(${align__fast}) > 0)"),
    ("answered(fr.billing)", "string-length(${fr__billing}) > 0"),
    ("align.easy >= 4 and not answered(why)", "${align__easy} >= 4 and not(string-length(${why}) > 0)"),
    ("(ces < 3 or age > 2.5) and why == \"it's\"", "(${ces} < 3 or ${age} > 2.5) and ${why} = \"it's\""),
    ("fr.billing == 1", "${fr__billing} = 1"),  # a friction row reads 1 (hesitated) or 0, as its choice names
    # a choice of a multi choice reads 1/0 once the question is answered
    ("used.chat == 1", "(string-length(${used}) > 0 and number(selected(${used}, 'chat')) = 1)"),
    ("used.chat in [0]", "string-length(${used}) > 0 and number(selected(${used}, 'chat')) = 0"),
    ("answered(used.chat)", "string-length(${used}) > 0"),
])
def test_show_if_to_relevant(show_if: str, relevant: str) -> None:
    assert to_xpath(show_if, EXPORT) == relevant


@pytest.mark.parametrize(("show_if", "words"), [
    ("used == 'chat'", "is a set of choices"),
    ("align == 3", "is a grid"),
    ("ces", "a condition must be"),
    ("nobody == 3", "'nobody' is not an earlier question"),
    ("why == 'both \\' and \"'", "both"),
    ("ces in []", "at least one value"),
])
def test_show_if_that_cannot_be_written(show_if: str, words: str) -> None:
    with pytest.raises(Untranslatable) as caught:
        to_xpath(show_if, EXPORT)
    assert words in str(caught.value)


@pytest.mark.parametrize(("constraint", "measure", "bounds"), [
    (". >= 0 and . <= 10", "value", (0, 10)),
    (".>=1.5", "value", (1.5, None)),
    (". <= 10 and . >= -3", "value", (-3, 10)),
    ("(. >= 0) and (. <= 10)", "value", (0, 10)),
    ("string-length(.) <= 300", "length", (None, 300)),
    ("count-selected(.) >= 1 and count-selected(.) <= 2", "count", (1, 2)),
])
def test_bounds_are_read(constraint: str, measure: Any, bounds: tuple[float | None, float | None]) -> None:
    assert read_bounds(constraint, measure) == bounds


@pytest.mark.parametrize(("constraint", "measure"), [
    (". > 0", "value"),  # exclusive: not a cxroi min
    (". >= 0 or . <= 10", "value"),
    ("regex(., '^[0-9]+$')", "value"),
    (". >= 1 and . >= 2", "value"),
    ("string-length(.) <= 10", "value"),
    (". <= 10", "length"),
])
def test_bounds_that_are_not_simple_are_refused(constraint: str, measure: Any) -> None:
    with pytest.raises(Untranslatable):
        read_bounds(constraint, measure)


def test_bounds_written_are_read_back() -> None:
    assert write_bounds(0.0, 2.5, "value") == ". >= 0 and . <= 2.5"
    assert write_bounds(None, 7, "count") == "count-selected(.) <= 7"
    assert write_bounds(None, None, "value") == ""
    assert read_bounds(write_bounds(-1, 1e6, "value"), "value") == (-1, 1000000)


# --- property: writing a condition to XLSForm and reading it back keeps its meaning ---------------------------

ROUND_EXPORT = {key: value for key, value in EXPORT.items() if key not in ("align.fast", "align")}
ROUND_IMPORT = {name: ref for name, ref in IMPORT.items() if name != "yn"}

comparisons = st.one_of(
    st.builds(lambda op, n: f"ces {op} {n}", st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), st.integers(1, 7)),
    st.builds(lambda op, n: f"age {op} {n}", st.sampled_from(["<", ">="]), st.integers(0, 90)),
    st.builds(lambda op, c: f"plan {op} '{c}'", st.sampled_from(["==", "!="]), st.sampled_from(["basic", "pro"])),
    st.builds(lambda cs: f"plan in {cs!r}", st.lists(st.sampled_from(["basic", "pro", "max"]), min_size=1, max_size=3)),
    st.builds(lambda cs: f"used not in {cs!r}", st.lists(st.sampled_from(["phone", "chat"]), min_size=1, max_size=2)),
    st.builds(lambda c: f"'{c}' in used", st.sampled_from(["phone", "chat", "email"])),
    st.sampled_from(["answered(why)", "answered(ces)", "answered(used)", "align.easy >= 4"]),
)
conditions = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds(lambda a, b, op: f"({a}) {op} ({b})", inner, inner, st.sampled_from(["and", "or"])),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)
# stored answers as Survey.clean_section leaves them: a blank answer (empty text, no choice) is not stored at all
answers = st.fixed_dictionaries({}, optional={
    "ces": st.integers(1, 7),
    "age": st.integers(0, 90),
    "plan": st.sampled_from(["basic", "pro", "max"]),
    "used": st.lists(st.sampled_from(["phone", "chat", "email"]), unique=True, min_size=1),
    "why": st.sampled_from(["slow", "too dear"]),
    "align": st.fixed_dictionaries({"easy": st.integers(1, 5)}),
    "fr": st.fixed_dictionaries({"billing": st.builds(lambda hesitated: {"hesitated": hesitated}, st.booleans())}),
})


@settings(max_examples=300, deadline=None)
@given(condition=conditions, answer_sets=st.lists(answers, min_size=1, max_size=8))
def test_translation_there_and_back_keeps_the_meaning(condition: str, answer_sets: list[dict[str, Any]]) -> None:
    back = to_show_if(to_xpath(condition, ROUND_EXPORT), ROUND_IMPORT)
    original, restored = parse_condition(condition), parse_condition(back)
    for given_answers in answer_sets:
        assert restored.evaluate(given_answers) == original.evaluate(given_answers), (condition, back, given_answers)


# --- property: the XLSForm relevant means in a real XPath 1.0 engine what the show_if means in cxroi -------------

def _selected(context: Any, nodes: Any, value: Any) -> bool:
    """ODK's selected(): is `value` one of the space-separated choices in the node's text (ODK XForms spec)."""
    text = "".join(node.text or "" for node in nodes) if isinstance(nodes, list) else str(nodes)
    return str(value) in text.split()


def _instance(given_answers: dict[str, Any]) -> Any:
    """An ODK data instance: every field present, an unanswered one empty, a multi choice space-separated."""
    values = {
        "ces": given_answers.get("ces"), "age": given_answers.get("age"), "plan": given_answers.get("plan"),
        "used": " ".join(given_answers.get("used") or []) or None, "why": given_answers.get("why"),
        "align__easy": (given_answers.get("align") or {}).get("easy"),
        "fr__billing": {None: None, True: 1, False: 0}[((given_answers.get("fr") or {}).get("billing") or {})
                                                     .get("hesitated")],
    }
    root = etree.Element("data")
    for name, value in values.items():
        etree.SubElement(root, name).text = None if value is None else str(value)
    return root


row_comparisons = st.builds(lambda ref, op, n: f"{ref} {op} {n}",
                            st.sampled_from(["used.chat", "used.phone", "fr.billing"]),
                            st.sampled_from(["==", "!=", ">=", "<"]), st.integers(0, 1))
export_conditions = st.recursive(
    st.one_of(comparisons, row_comparisons),
    lambda inner: st.one_of(
        st.builds(lambda a, b, op: f"({a}) {op} ({b})", inner, inner, st.sampled_from(["and", "or"])),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(condition=export_conditions, answer_sets=st.lists(answers, min_size=1, max_size=8))
def test_exported_relevant_behaves_in_xpath_as_show_if_does(condition: str, answer_sets: list[dict[str, Any]]) -> None:
    etree.FunctionNamespace(None)["selected"] = _selected
    relevant = to_xpath(condition, EXPORT)
    xpath = etree.XPath("boolean(" + re.sub(r"\$\{(\w+)\}", r"/data/\1", relevant) + ")")
    for given_answers in answer_sets:
        expected = parse_condition(condition).evaluate(given_answers)
        assert xpath(_instance(given_answers)) is expected, (condition, relevant, given_answers)


xpath_atoms = st.one_of(
    st.builds(lambda op, n: f"${{ces}} {op} {n}", st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
              st.integers(1, 7)),
    st.builds(lambda op, n: f"${{age}} {op} '{n}'", st.sampled_from(["!=", ">="]), st.integers(0, 90)),
    st.builds(lambda op, c: f"${{plan}} {op} '{c}'", st.sampled_from(["=", "!="]), st.sampled_from(["basic", "pro"])),
    st.builds(lambda c: f"selected(${{used}}, '{c}')", st.sampled_from(["phone", "chat", "email"])),
    st.builds(lambda c: f"selected(${{plan}}, '{c}')", st.sampled_from(["basic", "max"])),
    st.sampled_from(["string-length(${why}) > 0", "string-length(${why}) = 0", "${why} != ''", "${why} = ''",
                     "string-length(${used}) > 0", "${align__easy} >= 4", "${age} > ${ces}", "${fr__billing} = 1",
                     "${fr__billing} != '1'", "selected(${fr__billing}, '0')"]),
)
xpath_conditions = st.recursive(
    xpath_atoms,
    lambda inner: st.one_of(
        st.builds(lambda a, b, op: f"({a}) {op} ({b})", inner, inner, st.sampled_from(["and", "or"])),
        st.builds(lambda a: f"not({a})", inner),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(relevant=xpath_conditions, answer_sets=st.lists(answers, min_size=1, max_size=8))
def test_imported_show_if_behaves_as_the_relevant_does_in_xpath(relevant: str, answer_sets: list[dict[str, Any]]) -> None:
    etree.FunctionNamespace(None)["selected"] = _selected
    show_if = parse_condition(to_show_if(relevant, ROUND_IMPORT))
    xpath = etree.XPath("boolean(" + re.sub(r"\$\{(\w+)\}", r"/data/\1", relevant) + ")")
    for given_answers in answer_sets:
        assert show_if.evaluate(given_answers) is xpath(_instance(given_answers)), (relevant, show_if.source,
                                                                                     given_answers)


def test_non_ascii_texts_in_conditions_survive_the_translation() -> None:
    show_if = to_show_if("${why} = 'café' or ${why} = '5 €'", IMPORT)
    assert parse_condition(show_if).evaluate({"why": "café"}) is True
    assert parse_condition(show_if).evaluate({"why": "5 €"}) is True
    assert parse_condition(show_if).evaluate({"why": "cafe"}) is False
    assert to_xpath(show_if, EXPORT) == "${why} = 'café' or ${why} = '5 €'"
