"""A definition's `branding` (surveys/branding.py): the accent colour must be #rrggbb with at least 4.5:1 against
white (refused with its ratio and a darker shade that passes), the logo an https address or an image file under the
instance's branding/ folder; every refusal names `branding.<field>`."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.branding import contrast_with_white, darkened_to_pass
from surveys.definition import build_survey
from surveys.errors import InvalidDefinition
from surveys.model import Survey


def branded(**branding: Any) -> Survey:
    return build_survey({"id": "b", "title": "B", "branding": branding, "sections": [
        {"id": "p", "title": "P", "questions": [{"id": "q", "type": "csat", "text": "How satisfied are you?"}]}]})


def refusal(**branding: Any) -> tuple[str, str]:
    with pytest.raises(InvalidDefinition) as raised:
        branded(**branding)
    [problem] = raised.value.problems
    return problem.path, problem.message


def test_contrast_ratios_match_wcag_reference_values() -> None:
    # WCAG's own examples: white on black 21:1, white on white 1:1; #767676 is the lightest grey passing 4.5:1
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast_with_white("#777777") == pytest.approx(4.48, abs=0.01)
    # #ffcc00 by hand: L = 0.2126 + 0.7152 * ((0.8 + 0.055) / 1.055) ** 2.4 = 0.6444; 1.05 / 0.6944 = 1.51
    assert contrast_with_white("#ffcc00") == pytest.approx(1.512, abs=0.002)


def test_a_passing_colour_is_kept_lower_case() -> None:
    survey = branded(accent_color="#1D4F91")
    assert survey.branding is not None and survey.branding.accent_color == "#1d4f91"
    assert branded(accent_color="#767676").branding is not None


def test_a_colour_below_4_5_to_1_is_refused_with_its_ratio_and_a_shade_that_passes() -> None:
    path, message = refusal(accent_color="#ffcc00")
    assert path == "branding.accent_color"
    shade = darkened_to_pass("#ffcc00")
    assert contrast_with_white(shade) >= 4.5 and shade != "#000000"
    assert message == (f"#ffcc00 has a contrast of 1.51:1 against white; buttons and links need at least 4.5:1 "
                       f"(WCAG 2.1 AA): use a darker colour, e.g. {shade}")
    assert refusal(accent_color="#777777")[0] == "branding.accent_color"


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "rgb(0,0,0)", "#gg0000"])
def test_colours_not_written_rrggbb_are_refused(colour: str) -> None:
    path, message = refusal(accent_color=colour)
    assert path == "branding.accent_color" and "is not a colour written #rrggbb" in message


@pytest.mark.parametrize("logo", ["https://cdn.example.com/acme/logo.svg", "acme/logo.png", "logo.webp"])
def test_usable_logos(logo: str) -> None:
    survey = branded(accent_color="#1d4f91", logo_url=logo, logo_alt="Acme")
    assert survey.branding is not None and survey.branding.logo_url == logo
    assert survey.branding.logo_is_file == (not logo.startswith("https://"))


@pytest.mark.parametrize("logo", ["http://cdn.example.com/logo.png", "javascript:alert(1)", "data:image/png;base64,AA",
                                  "../secret.png", "/etc/passwd.png", "acme/../../x.png", "logo.exe",
                                  "https://", "https://user:pw@cdn.example.com/logo.png", 'https://a.example/"x.png'])
def test_other_logos_are_refused(logo: str) -> None:
    path, _ = refusal(accent_color="#1d4f91", logo_url=logo)
    assert path == "branding.logo_url"


def test_branding_needs_a_colour_and_knows_its_fields() -> None:
    assert refusal(logo_url="acme/logo.png")[0] == "branding.accent_color"
    assert refusal(accent_color="#1d4f91", colour="#000000") == ("branding.colour", "unknown field")
