"""A survey's branding on the respondent pages: an optional logo and an accent colour.

The accent colour fills the buttons (white text on it) and colours links and ticked choices, so it must reach the
WCAG 2.1 AA contrast for text, 4.5:1, against white; a colour below that is refused with its ratio and the nearest
darker shade that passes. The logo is an https address or a file in the instance folder's `branding/` directory
(a relative path such as `acme/logo.png`); anything else (http, data:, javascript:, a path leaving the folder) is
refused. docs/definition-format.md, "Branding", is the reference.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from .questions import Strict

MIN_CONTRAST = 4.5
"""WCAG 2.1 AA contrast for normal text (success criterion 1.4.3)."""
LOGO_FILE = re.compile(r"^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_./-]{0,199}\.(?:png|jpe?g|gif|svg|webp)$")
"""A logo file's path under the instance's branding/ folder: relative, no `..`, an image extension."""
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a `#rrggbb` colour."""
    channels = []
    for index in (1, 3, 5):
        value = int(colour[index:index + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of `colour` against white, (1.05) / (L + 0.05), from 1 to 21."""
    return 1.05 / (relative_luminance(colour) + 0.05)


def darkened_to_pass(colour: str) -> str:
    """The lightest shade of `colour` (its channels scaled down together) with at least `MIN_CONTRAST`."""
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    for step in range(100, -1, -1):
        shade = "#{:02x}{:02x}{:02x}".format(*(round(value * step / 100) for value in (red, green, blue)))
        if contrast_with_white(shade) >= MIN_CONTRAST:
            return shade
    return "#000000"


class Branding(Strict):
    """`branding:` of a definition."""

    accent_color: str = Field(description="Colour of buttons and links, #rrggbb, at least 4.5:1 against white.")
    logo_url: str | None = Field(default=None, max_length=2000, description=(
        "An https address, or a file in the instance folder's branding/ directory (e.g. acme/logo.png)."))
    logo_alt: str | None = Field(default=None, max_length=200, description=(
        "The logo's text alternative (e.g. the company's name); none: the logo is decoration."))

    @field_validator("accent_color")
    @classmethod
    def _readable_colour(cls, value: str) -> str:
        if not COLOUR.match(value):
            raise ValueError(f"{value[:40]!r} is not a colour written #rrggbb (e.g. #1d4f91)")
        value = value.lower()
        ratio = contrast_with_white(value)
        if ratio < MIN_CONTRAST:
            raise ValueError(f"{value} has a contrast of {ratio:.2f}:1 against white; buttons and links need at "
                             f"least {MIN_CONTRAST}:1 (WCAG 2.1 AA): use a darker colour, e.g. "
                             f"{darkened_to_pass(value)}")
        return value

    @field_validator("logo_url")
    @classmethod
    def _https_or_instance_file(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("https://"):
            parts = urlsplit(value)
            if not parts.hostname or re.search(r"[\s\"'<>\\]", value) or parts.username or parts.password:
                raise ValueError(f"{value[:80]!r} is not a usable https address")
            return value
        if not LOGO_FILE.match(value):
            raise ValueError(f"{value[:80]!r} is neither an https address nor an image file under the instance's "
                             "branding/ folder (a relative path ending .png, .jpg, .gif, .svg or .webp)")
        return value

    @property
    def logo_is_file(self) -> bool:
        """The logo is a file of the instance (served by the site itself), not an https address."""
        return self.logo_url is not None and not self.logo_url.startswith("https://")
