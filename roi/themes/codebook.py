"""The codebook: named themes over a fitted term space, edited by people, saved as YAML, used to code comments.

A codebook holds everything recoding needs, so next wave's comments are coded exactly as this wave's:
the term space (vocabulary and idf, `roi.themes.space`), the fitted NMF components (one weight per term),
and the themes. Each theme owns zero or more components and may add keyword rules:

* `components` — a comment belongs to the theme when the theme's components carry at least `min_share` of
  the comment's weight (its row of W, found with the components held fixed);
* `keywords` — a comment mentioning any of these words or phrases (whole words, any case) belongs to it;
* `exclude` — a comment mentioning any of these does not, whatever the rules above say.

Edits return a new codebook with `version` one higher: `rename_theme`, `merge_themes`, `split_theme`
(by keywords: the comments mentioning them move to a new theme), `delete_theme` (its components stay in the
space, so its words keep explaining comments instead of leaking into other themes), `set_rules`, `add_theme`.
The YAML layout is documented in docs/themes.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from surveys.bounded import load_yaml
from surveys.definition import format_path
from surveys.errors import CxroiError

from .space import TermSpace

FORMAT: Literal["cxroi-codebook/1"] = "cxroi-codebook/1"
MIN_SHARE = 0.3
"""Default share of a comment's weight a theme's components must carry for the comment to belong to it."""
MAX_THEMES = 100
ThemeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Rule = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class InvalidCodebook(CxroiError, ValueError):
    """A codebook that cannot be read or an edit that cannot be made; the message names the place."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Theme(_Frozen):
    """One theme: a stable id (the export column is `theme.<id>`), a name people read, and its rules."""

    id: ThemeId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    components: tuple[int, ...] = ()
    keywords: tuple[Rule, ...] = ()
    exclude: tuple[Rule, ...] = ()
    top_words: tuple[str, ...] = ()
    """The words that weigh most in its components (from discovery; shown, not used for coding)."""


class Method(_Frozen):
    """How the components were found, kept so a codebook says where it came from."""

    name: Literal["nmf-tfidf", "embeddings", "keywords"] = "nmf-tfidf"
    seed: int = 0
    components: int = 0
    min_share: float = Field(default=MIN_SHARE, gt=0, le=1)
    comments: int = 0
    """How many comments discovery fitted on."""


class Codebook(_Frozen):
    """A versioned codebook (see the module docstring)."""

    format: Literal["cxroi-codebook/1"] = FORMAT
    version: int = Field(default=1, ge=1)
    survey: str | None = None
    method: Method = Method()
    vocabulary: tuple[str, ...] = ()
    idf: tuple[float, ...] = ()
    weights: tuple[dict[str, float], ...] = ()
    """One mapping per component: term → weight, for the terms with a non-zero weight."""
    themes: tuple[Theme, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Codebook:
        if len(self.idf) != len(self.vocabulary):
            raise ValueError(f"idf has {len(self.idf)} numbers for {len(self.vocabulary)} vocabulary terms")
        known = set(self.vocabulary)
        for index, component in enumerate(self.weights):
            unknown = [t for t in component if t not in known]
            if unknown:
                raise ValueError(f"weights[{index}]: {unknown[0]!r} is not in the vocabulary")
            if any(not np.isfinite(w) or w < 0 for w in component.values()):
                raise ValueError(f"weights[{index}]: weights must be finite and not negative")
        ids: set[str] = set()
        for index, theme in enumerate(self.themes):
            if theme.id in ids:
                raise ValueError(f"themes[{index}].id: {theme.id!r} is used twice")
            ids.add(theme.id)
            missing = [c for c in theme.components if not 0 <= c < len(self.weights)]
            if missing:
                raise ValueError(f"themes[{index}].components: component {missing[0]} does not exist (the "
                                 f"codebook has {len(self.weights)})")
        if len(self.themes) > MAX_THEMES:
            raise ValueError(f"themes: at most {MAX_THEMES} themes")
        return self

    # --- what coding needs ---------------------------------------------------------------------------------

    def space(self) -> TermSpace:
        return TermSpace(self.vocabulary, np.asarray(self.idf, dtype=float))

    def components_matrix(self) -> np.ndarray:
        """The components as a dense (components × terms) matrix in vocabulary order."""
        position = {term: j for j, term in enumerate(self.vocabulary)}
        matrix = np.zeros((len(self.weights), len(self.vocabulary)))
        for i, component in enumerate(self.weights):
            for term, weight in component.items():
                matrix[i, position[term]] = weight
        return matrix

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise InvalidCodebook(f"no theme {theme_id!r} in this codebook")

    def _with_themes(self, themes: list[Theme]) -> Codebook:
        return self.model_copy(update={"themes": tuple(themes), "version": self.version + 1})


# --- reading and writing ---------------------------------------------------------------------------------

def codebook_from_data(data: Any, *, source: str = "codebook") -> Codebook:
    """A checked codebook from parsed YAML/JSON data; `InvalidCodebook` names the path of each problem."""
    if not isinstance(data, dict):
        raise InvalidCodebook(f"{source}: expected a mapping with format, version, themes, …")
    try:
        return Codebook.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors()[:20]:
            path = format_path(detail["loc"])
            message = detail["msg"].removeprefix("Value error, ")
            if detail["type"] == "extra_forbidden":
                message = "unknown field"
            problems.append(f"{source}: {path + ': ' if path else ''}{message}")
        raise InvalidCodebook("\n".join(problems)) from None


def parse_codebook(text: str, *, source: str = "codebook") -> Codebook:
    """A codebook from YAML text (JSON is YAML too)."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InvalidCodebook(f"{source}: not valid YAML{where}") from None
    return codebook_from_data(data, source=source)


def read_codebook(path: str | Path) -> Codebook:
    """Read a codebook YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidCodebook(f"{path}: cannot read the file: {error}") from None
    return parse_codebook(text, source=str(path))


def codebook_data(codebook: Codebook) -> dict[str, Any]:
    """Plain data of a codebook (lists and dicts), in the documented key order."""
    return codebook.model_dump(mode="json")


def to_yaml(codebook: Codebook) -> str:
    """The codebook as YAML; `parse_codebook(to_yaml(c)) == c` (floats are written exactly)."""
    return yaml.safe_dump(codebook_data(codebook), sort_keys=False, allow_unicode=True, width=120)


def write_codebook(codebook: Codebook, path: str | Path) -> None:
    Path(path).write_text(to_yaml(codebook), encoding="utf-8")


# --- edits -----------------------------------------------------------------------------------------------

def _index(codebook: Codebook, theme_id: str) -> int:
    for index, theme in enumerate(codebook.themes):
        if theme.id == theme_id:
            return index
    raise InvalidCodebook(f"no theme {theme_id!r} in this codebook")


def _checked(build: Any, **fields: Any) -> Any:
    try:
        return build(**fields)
    except ValidationError as error:
        detail = error.errors()[0]
        raise InvalidCodebook(f"{format_path(detail['loc'])}: {detail['msg'].removeprefix('Value error, ')}") from None


def new_theme_id(codebook: Codebook, name: str) -> str:
    """An id for a theme called `name`: its words in lower case joined by _, made unique with a number."""
    base = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:40] or "theme"
    if not base[0].isalpha():
        base = f"t_{base}"
    taken = {t.id for t in codebook.themes}
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    return candidate


def rename_theme(codebook: Codebook, theme_id: str, name: str) -> Codebook:
    index = _index(codebook, theme_id)
    themes = list(codebook.themes)
    themes[index] = _checked(Theme, **(themes[index].model_dump() | {"name": name}))
    return codebook._with_themes(themes)


def set_rules(codebook: Codebook, theme_id: str, *, keywords: list[str], exclude: list[str]) -> Codebook:
    """Replace a theme's keyword and exclude rules."""
    index = _index(codebook, theme_id)
    themes = list(codebook.themes)
    themes[index] = _checked(Theme, **(themes[index].model_dump() | {"keywords": tuple(keywords),
                                                                     "exclude": tuple(exclude)}))
    return codebook._with_themes(themes)


def add_theme(codebook: Codebook, name: str, *, keywords: list[str], exclude: list[str] | None = None) -> Codebook:
    """A new theme coded by keyword rules alone."""
    if not keywords:
        raise InvalidCodebook("keywords: a new theme needs at least one keyword")
    theme = _checked(Theme, id=new_theme_id(codebook, name), name=name, keywords=tuple(keywords),
                     exclude=tuple(exclude or ()))
    return codebook._with_themes([*codebook.themes, theme])


def merge_themes(codebook: Codebook, theme_ids: list[str], *, name: str) -> Codebook:
    """One theme in place of the first of `theme_ids`, owning all their components and rules."""
    if len(set(theme_ids)) < 2:
        raise InvalidCodebook("themes: choose at least two different themes to merge")
    chosen = [codebook.themes[_index(codebook, t)] for t in theme_ids]
    first = chosen[0]
    merged = _checked(
        Theme, id=first.id, name=name,
        components=tuple(dict.fromkeys(c for t in chosen for c in t.components)),
        keywords=tuple(dict.fromkeys(k for t in chosen for k in t.keywords)),
        exclude=tuple(dict.fromkeys(k for t in chosen for k in t.exclude)),
        top_words=tuple(dict.fromkeys(w for t in chosen for w in t.top_words))[:10])
    themes = [merged if t.id == first.id else t for t in codebook.themes if t.id not in theme_ids[1:]]
    return codebook._with_themes(themes)


def split_theme(codebook: Codebook, theme_id: str, *, keywords: list[str], name: str) -> Codebook:
    """Move the comments of a theme that mention any of `keywords` into a new theme called `name`: the new
    theme is coded by those keywords, and the old one excludes them."""
    if not keywords:
        raise InvalidCodebook("keywords: say which words move comments to the new theme")
    index = _index(codebook, theme_id)
    old = codebook.themes[index]
    themes = list(codebook.themes)
    themes[index] = _checked(Theme, **(old.model_dump() | {"exclude": tuple(dict.fromkeys([*old.exclude,
                                                                                              *keywords]))}))
    themes.insert(index + 1, _checked(Theme, id=new_theme_id(codebook, name), name=name,
                                      keywords=tuple(keywords), exclude=old.exclude))
    return codebook._with_themes(themes)


def delete_theme(codebook: Codebook, theme_id: str) -> Codebook:
    index = _index(codebook, theme_id)
    return codebook._with_themes([t for i, t in enumerate(codebook.themes) if i != index])
