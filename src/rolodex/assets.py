"""The files Rolodex ships beside its code: demo.db and the theme files.

In the repository they live at the top level (``demo.db``, ``themes/``); a built wheel
carries copies inside the package (``rolodex/data/``, put there by setup.py), found
through importlib.resources, so an installed Rolodex works from any folder. An
editable install or a checkout has no such copies and reads the top-level files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DATA_PACKAGE_FOLDER = "data"
DEMO_NAME = "demo.db"
THEMES_FOLDER = "themes"


def _packaged(name: str) -> Path | None:
    """``rolodex/data/<name>`` of an installed wheel, when it is there."""
    found = resources.files("rolodex").joinpath(DATA_PACKAGE_FOLDER, name)
    # A wheel installs as files on disk: the resource is a real path.
    path = Path(str(found))
    return path if path.exists() else None


def _checkout(name: str) -> Path:
    """The top-level file of the repository (src/rolodex/assets.py -> ../../<name>)."""
    return Path(__file__).resolve().parents[2] / name


def shipped(name: str) -> Path:
    """Where the shipped file or folder ``name`` is: in the package, else in the checkout."""
    return _packaged(name) or _checkout(name)


def demo_database() -> Path:
    return shipped(DEMO_NAME)


def themes_folder() -> Path:
    return shipped(THEMES_FOLDER)
