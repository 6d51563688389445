"""The settings form of a question, generated from its type's declaration: every pydantic field of the type
class (`surveys.questions.QUESTION_TYPES`) beyond the fields all questions share becomes one form field, by
its annotation — a check box for a yes/no, a number box, a text box, a select for a fixed set of values, a
comma-separated list of ids, `code: label` lines for choices, and a group of fields for a nested model (a
scale). Nothing here knows a particular type: a new type's settings appear by declaring them.

`setting_fields` lists the fields with the values to show; `read_settings` turns the submitted form into the
settings mapping, with a message per field for what a form can tell (a number that is not one, a line
without a colon); the definition's own validation then judges the rest and names its path, which
`field_of_path` maps back to a field.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from surveys.questions import QUESTION_TYPES

from .edits import COMMON_FIELDS, shown_text

Kind = Literal["check", "tristate", "whole", "number", "text", "select", "ids", "choices", "lines"]
TRISTATE = (("", "As the survey says"), ("yes", "Yes"), ("no", "No"))


@dataclass
class SettingField:
    """One form field: `name` is its path within the question (`scale.max`), also the form field's name."""

    name: str
    label: str
    kind: Kind
    value: str | bool
    hint: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    group: str = ""
    """The nested setting it belongs to (`scale`), shown as one fieldset; empty for a top-level one."""

    @property
    def ident(self) -> str:
        return "set-" + self.name.replace(".", "-")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _parts(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `None`, and whether None was allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(typing.get_args(annotation))
    return annotation, False


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _bare(annotation: Any) -> Any:
    """`Annotated[str, …]` (an id, a text given per language) as `str`."""
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def _kind(annotation: Any, optional: bool) -> Kind | None:
    annotation = _bare(annotation)
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "tristate" if optional else "check"
    if annotation is int:
        return "whole"
    if annotation is float:
        return "number"
    if annotation is str:
        return "text"
    if origin is Literal:
        return "select"
    if origin in (list, tuple):
        (item, *_) = typing.get_args(annotation) or (str,)
        item = _bare(item)
        if _is_model(item) and {"code", "label"} <= set(item.model_fields):
            return "choices"
        if item is str:
            return "ids" if origin is list else "lines"
    return None


def _shown(kind: Kind, value: Any, data: Mapping[str, Any]) -> str | bool:
    if kind == "check":
        return bool(value)
    if value is None:
        return ""
    if kind == "tristate":
        return "yes" if value else "no"
    if kind == "ids":
        return ", ".join(str(item) for item in value)
    if kind == "lines":
        return "\n".join(shown_text(item, data) for item in value)
    if kind == "choices":
        return "\n".join(f"{item.get('code')}: {shown_text(item.get('label'), data)}" for item in value)
    if kind in ("whole", "number") and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return shown_text(value, data)


def _fields_of(fields: Mapping[str, FieldInfo], stored: Mapping[str, Any], data: Mapping[str, Any],
               prefix: str = "") -> list[SettingField]:
    found: list[SettingField] = []
    for name, info in fields.items():
        if not prefix and name in COMMON_FIELDS:
            continue
        annotation, optional = _parts(info.annotation)
        annotation = _bare(annotation)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        value = stored.get(name, default)
        if _is_model(annotation):
            nested = value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value or {})
            found += _fields_of(annotation.model_fields, nested, data, f"{prefix}{name}.")
            continue
        kind = _kind(annotation, optional)
        if kind is None:
            continue  # a setting no simple field can hold: the YAML box edits it
        shown_default = _shown(kind, default.model_dump(mode="json") if isinstance(default, BaseModel) else default,
                               data) if default not in (None, []) else ""
        hint = info.description or ""
        if kind == "ids":
            hint = (hint + " " if hint else "") + ("Ids separated by commas; empty: all of them." if optional
                                                   else "Ids separated by commas.")
        elif kind == "choices":
            hint = "One choice per line, as code: label (the code is what the results and conditions use)."
        elif kind == "lines":
            hint = "One per line; empty: none."
        elif shown_default not in ("", False) and kind not in ("check", "tristate"):
            hint = (hint + " " if hint else "") + f"Empty: {shown_default}."
        options = [(str(choice), str(choice)) for choice in typing.get_args(annotation)] if kind == "select" else []
        found.append(SettingField(f"{prefix}{name}", _label(name), kind, _shown(kind, value, data), hint.strip(),
                                  list(TRISTATE) if kind == "tristate" else options, prefix.rstrip(".")))
    return found


def setting_fields(question: Mapping[str, Any], data: Mapping[str, Any]) -> list[SettingField]:
    """The form fields of the question's type-specific settings, showing the stored values (the defaults when
    unset). The values come from the stored data, so a setting given per language shows its default language."""
    cls = QUESTION_TYPES[str(question.get("type"))]
    return _fields_of(cls.model_fields, question, data)


class SettingsErrors(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def _read(spec: SettingField, raw: str, checked: bool) -> Any:
    text = raw.strip()
    if spec.kind == "check":
        return checked
    if spec.kind == "tristate":
        if text not in ("", "yes", "no"):
            raise ValueError("choose one of the options")
        return None if not text else text == "yes"
    if not text:
        return None
    if spec.kind == "whole":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"enter a whole number, not {text[:20]!r}") from None
    if spec.kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"enter a number, not {text[:20]!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("enter a finite number")
        return int(number) if number.is_integer() else number
    if spec.kind == "select":
        if text not in {value for value, _ in spec.options}:
            raise ValueError("choose one of the options")
        return int(text) if text.lstrip("-").isdigit() else text
    if spec.kind == "ids":
        return [item for item in (part.strip() for part in text.replace("\n", ",").split(",")) if item]
    if spec.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if spec.kind == "choices":
        choices = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            code, colon, label = line.partition(":")
            if not colon or not code.strip() or not label.strip():
                raise ValueError(f"line {number}: write it as code: label")
            choices.append({"code": code.strip(), "label": label.strip()})
        return choices
    return text


def read_settings(question: Mapping[str, Any], data: Mapping[str, Any], form: Mapping[str, str],
                  checked: set[str]) -> dict[str, Any]:
    """The question's settings as submitted: a field left empty takes the type's default (it is left out);
    settings the form does not show (e.g. ones written in the YAML box) are kept as stored. Choice labels and
    texts given per language keep their other languages when edited in the default one. Raises
    `SettingsErrors` with a message per field name for values a form can already tell are wrong."""
    from .edits import _keep_translations  # the one rule for keeping translations

    specs = setting_fields(question, data)
    errors: dict[str, str] = {}
    settings = {name: value for name, value in question.items() if name not in COMMON_FIELDS}
    groups: dict[str, dict[str, Any]] = {}
    for spec in specs:
        try:
            value = _read(spec, str(form.get(spec.name, "")), spec.name in checked)
        except ValueError as error:
            errors[spec.name] = str(error)
            continue
        if spec.group:
            if value is not None:
                groups.setdefault(spec.group, {})[spec.name.split(".", 1)[1]] = value
            else:
                groups.setdefault(spec.group, {})
            continue
        old = question.get(spec.name)
        if spec.kind == "choices" and isinstance(value, list):
            labels = {item.get("code"): item.get("label") for item in old or [] if isinstance(item, Mapping)}
            value = [{**item, "label": _keep_translations(labels.get(item["code"]), item["label"], data)}
                     for item in value]
        elif spec.kind == "text" and isinstance(value, str):
            value = _keep_translations(old, value, data)
        if value is None or (spec.kind == "check" and value == _default(question, spec.name)):
            settings.pop(spec.name, None)
        else:
            settings[spec.name] = value
    for group, values in groups.items():
        old_group = question.get(group) if isinstance(question.get(group), Mapping) else {}
        values = {name: _keep_translations((old_group or {}).get(name), value, data) if isinstance(value, str)
                  else value for name, value in values.items()}
        default = _default(question, group)
        if isinstance(default, BaseModel) and values == default.model_dump(mode="json", exclude_none=True):
            settings.pop(group, None)  # the type's own default scale: nothing to write
        elif values:
            settings[group] = values
        else:
            settings.pop(group, None)
    if errors:
        raise SettingsErrors(errors)
    return settings


def _default(question: Mapping[str, Any], name: str) -> Any:
    info = QUESTION_TYPES[str(question.get("type"))].model_fields[name]
    return None if info.is_required() else info.get_default(call_default_factory=True)


def field_of_path(rest: str, specs: list[SettingField]) -> str | None:
    """The form field a problem's path within the question (`scale.max`, `choices[2].label`) belongs to."""
    names = [spec.name for spec in specs]
    head = rest.split("[", 1)[0]
    if head in names:
        return head
    return next((name for name in names if name.startswith(head + ".")), None)
