"""Themes are TOML files, loaded at start: the shipped ones (the repository's themes/
folder, inside the package once installed) and the user's own, in the ``themes`` folder
beside config.toml. A file's theme is known by the name it gives itself.

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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from rolodex import assets
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
    """The shipped themes: inside the installed package, or themes/ of the checkout."""
    return assets.themes_folder()


def shown_name(name: str) -> str:
    """A theme's name as the picker shows it: the shipped ones without "rolodex-"."""
    return name.removeprefix("rolodex-")


def resolve_name(wanted: str, available: Iterable[str]) -> str | None:
    """The theme ``wanted`` names: its full name or the name the picker shows."""
    names = list(available)
    if wanted in names:
        return wanted
    for name in names:
        if shown_name(name) == wanted or name.casefold() == wanted.casefold():
            return name
    return None


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


def load_themes(*directories: Path | None) -> list[ThemeFile]:
    """The theme files of each folder (the shipped themes when none is given); a
    theme in a later folder replaces one of the same name in an earlier one."""
    folders = [d for d in directories if d is not None] or [themes_dir()]
    out: list[ThemeFile] = []
    for directory in folders:
        if directory.is_dir():
            out += _load_folder(directory)
    return out


def _load_folder(directory: Path) -> list[ThemeFile]:
    out: list[ThemeFile] = []
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
