"""Themes are TOML files in the repository's themes/ folder, loaded at start.

A file looks like::

    name = "rolodex-dark"
    dark = true
    primary = "#5fa8f5"
    background = "#101418"
    [variables]
    footer-key-foreground = "#5fa8f5"

Colour fields: primary, secondary, accent, warning, error, success,
foreground, background, surface, panel, boost. A broken file is reported and
skipped; the built-in dark theme is always there as the fallback.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from rolodex.i18n import _

DEFAULT_THEME = "rolodex-dark"
COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
FALLBACK = Theme(
    name=DEFAULT_THEME,
    primary="#5fa8f5",
    secondary="#8fbcbb",
    accent="#e0a050",
    warning="#e0c050",
    error="#e06c75",
    success="#8fc07a",
    foreground="#d8dee9",
    background="#12161c",
    surface="#1a2029",
    panel="#222a35",
    dark=True,
)


def themes_dir() -> Path:
    """themes/ at the top of the repository (src/rolodex/ui/themes.py -> ../../../themes)."""
    return Path(__file__).resolve().parents[3] / "themes"


@dataclass(frozen=True)
class ThemeFile:
    path: Path
    theme: Theme | None
    problem: str | None


def _colour(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(_("{field} must be a colour string").format(field=where))
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ValueError(
            _("{field}: '{value}' is not a colour").format(field=where, value=value)
        ) from exc
    return value


def parse_theme(path: Path) -> Theme:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(_("the theme needs a name"))
    if "primary" not in data:
        raise ValueError(_("the theme needs a primary colour"))
    fields: dict[str, object] = {"name": name.strip()}
    for key in COLOUR_FIELDS:
        if key in data:
            fields[key] = _colour(data[key], key)
    unknown = set(data) - set(COLOUR_FIELDS) - {"name", "dark", "ansi", "variables"}
    if unknown:
        raise ValueError(_("unknown fields: {fields}").format(fields=", ".join(sorted(unknown))))
    fields["dark"] = bool(data.get("dark", True))
    fields["ansi"] = bool(data.get("ansi", False))
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(_("[variables] must be a table"))
    fields["variables"] = {str(k): str(v) for k, v in variables.items()}
    theme = Theme(**fields)  # type: ignore[arg-type]
    theme.to_color_system().generate()  # fails here rather than at paint time
    return theme


def load_themes(directory: Path | None = None) -> list[ThemeFile]:
    directory = directory or themes_dir()
    out: list[ThemeFile] = []
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob("*.toml")):
        try:
            out.append(ThemeFile(path, parse_theme(path), None))
        except (OSError, ValueError, tomllib.TOMLDecodeError, TypeError, ColorParseError) as exc:
            out.append(
                ThemeFile(
                    path,
                    None,
                    _("Theme file {name} is broken ({error}); it was skipped").format(
                        name=path.name, error=exc
                    ),
                )
            )
    return out
