"""`--skip-unsupported` (issue 13): a real-looking form with device metadata, a geopoint, a repeat, a photo and a
media column comes in without them, and exactly what was left out is listed; without the flag it is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from surveys.errors import InvalidDefinition
from surveys.xlsform import import_xlsform, read_xlsform

from .test_xlsform import run_cli, write_workbook

DROPPED = [
    "survey sheet, row 2, type: deviceid: 'deviceid' is not supported",
    "survey sheet, row 4, type: q_where: 'geopoint' is not supported",
    "survey sheet, row 5, column 'relevant': relevant: \"${q_where} != ''\" cannot be translated: ${q_where} is "
    "not an earlier question cxroi knows; the question is shown to everyone",
    "survey sheet, row 7, column 'image': image: this column is not supported by cxroi",
    "survey sheet, row 8, type: r_items: 'begin repeat' is not supported",
    "survey sheet, row 12, type: q_photo: 'image' is not supported",
    "settings sheet, column 'instance_name': instance_name: this setting is not supported by cxroi",
]


def field_form(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "field.xlsx", [
        ["type", "name", "label", "relevant", "image"],
        ["deviceid", "deviceid", None, None, None],                         # 2
        ["text", "q_name", "Your name?", None, None],                       # 3
        ["geopoint", "q_where", "Where are you?", None, None],              # 4
        ["text", "q_place", "Describe the place", "${q_where} != ''", None],  # 5
        ["begin group", "g_visit", "Visit", None, None],                    # 6
        ["select_one yn", "q_visited", "Visited?", None, "store.png"],      # 7
        ["begin repeat", "r_items", "Items", None, None],                   # 8
        ["text", "q_item", "Item", None, None],                             # 9
        ["end repeat", None, None, None, None],                             # 10
        ["end group", None, None, None, None],                              # 11
        ["image", "q_photo", "A photo", None, None],                        # 12
    ], [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        [["form_id", "instance_name"], ["field", "concat(${q_name})"]])


def test_skip_unsupported_keeps_the_rest_and_lists_exactly_what_was_dropped(tmp_path: Path) -> None:
    result = import_xlsform(field_form(tmp_path), skip_unsupported=True)
    assert [q.id for q in result.survey.questions()] == ["q_name", "q_place", "q_visited"]
    assert result.survey.question("q_place").show_if is None
    assert sorted(str(p) for p in result.dropped) == sorted(DROPPED)


def test_without_the_flag_the_same_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidDefinition) as raised:
        read_xlsform(field_form(tmp_path))
    assert "survey sheet, row 4, type: 'geopoint' is not supported" in [str(p) for p in raised.value.problems]


def test_a_group_left_empty_is_dropped_too(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "empty.xlsx", [
        ["type", "name", "label"], ["text", "q_a", "A?"],
        ["begin group", "g_geo", "Where"], ["geopoint", "q_gps", "GPS"], ["end group", None, None]])
    result = import_xlsform(source, skip_unsupported=True)
    assert [s.id for s in result.survey.sections] == ["q_a"]
    assert [str(p) for p in result.dropped] == [
        "survey sheet, row 4, type: q_gps: 'geopoint' is not supported",
        "survey sheet, row 3: g_geo: nothing cxroi can ask is left in this group"]


def test_cli_convert_skip_unsupported_writes_the_rest_and_prints_the_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = field_form(tmp_path), tmp_path / "field.yaml"
    assert run_cli(["survey", "convert", str(source), str(target)]) == 2
    assert not target.exists()
    capsys.readouterr()
    assert run_cli(["survey", "convert", str(source), str(target), "--skip-unsupported"]) == 0
    out = capsys.readouterr().out
    assert f"{source}: left out 7 thing(s) cxroi cannot represent:" in out
    for line in DROPPED:
        assert f"  {line}\n" in out
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert [q["id"] for s in written["sections"] for q in s["questions"]] == ["q_name", "q_place", "q_visited"]


def test_skip_unsupported_on_a_yaml_source_is_a_usage_error(tmp_path: Path, example_path: Path) -> None:
    assert run_cli(["survey", "convert", str(example_path), str(tmp_path / "x.xlsx"), "--skip-unsupported"]) == 2


def test_a_workbook_with_nothing_left_to_ask_is_a_clear_error(tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "geo.xlsx", [["type", "name", "label"], ["geopoint", "q_gps", "Where?"]])
    with pytest.raises(InvalidDefinition) as raised:
        import_xlsform(source, skip_unsupported=True)
    assert [str(p) for p in raised.value.problems] == [
        "survey sheet: no question cxroi can ask is left once what cxroi cannot represent is left out"]


def test_validate_and_convert_print_what_was_read_as_a_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
    source = write_workbook(tmp_path / "agree.xlsx",
                            [["type", "name", "label"], ["select_one ag", "q", "It was easy."]],
                            [["list_name", "name", "label"], *[["ag", str(n), text] for n, text in enumerate(labels, 1)]])
    note = (f"{source}: survey sheet, row 2: the choices of list 'ag' are read as a likert 5-point scale: "
            "1=1 (Strongly disagree), 2=2 (Disagree), 3=3 (Neutral), 4=4 (Agree), 5=5 (Strongly agree); put "
            "single_choice in the cxroi_type column to keep them as plain choices")
    assert run_cli(["survey", "validate", str(source)]) == 0
    assert note in capsys.readouterr().out.splitlines()
    assert run_cli(["survey", "convert", str(source), str(tmp_path / "agree.yaml")]) == 0
    assert note in capsys.readouterr().out.splitlines()
