"""The user's settings in the config directory: theme, key map, index columns.

``keymap.toml`` maps binding ids to keys, for example::

    [keys]
    "app.palette" = "ctrl+k"
    "index.filter" = "f,/"

(top-level ``id = "keys"`` lines work too). ``settings.json`` remembers the
theme and the columns chosen per object; the app writes it.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from rolodex.i18n import _


def default_config_dir() -> Path:
    return Path(platformdirs.user_config_dir("rolodex"))


@dataclass
class Settings:
    directory: Path
    theme: str | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.directory / "settings.json"

    def save(self) -> str | None:
        """Write the settings; returns an error message instead of raising."""
        data = {"theme": self.theme, "columns": self.columns}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            return _("Cannot save settings to {path}: {error}").format(path=self.path, error=exc)
        return None


def load_settings(directory: Path) -> tuple[Settings, str | None]:
    """The settings, and a one-line problem when the file is unreadable (then defaults)."""
    settings = Settings(directory)
    path = settings.path
    if not path.exists():
        return settings, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(_("not a JSON object"))
    except (OSError, ValueError) as exc:
        return settings, _("Settings file {path} is unreadable ({error}); using defaults").format(
            path=path, error=exc
        )
    theme = data.get("theme")
    settings.theme = theme if isinstance(theme, str) else None
    columns = data.get("columns")
    if isinstance(columns, dict):
        settings.columns = {
            str(k): [str(c) for c in v] for k, v in columns.items() if isinstance(v, list)
        }
    return settings, None


def load_keymap(directory: Path) -> tuple[dict[str, str], str | None]:
    """Binding id -> keys from keymap.toml, and a one-line problem when it is broken."""
    path = directory / "keymap.toml"
    if not path.exists():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, _("Key map {path} is broken ({error}); using the default keys").format(
            path=path, error=exc
        )
    table = data.get("keys", data)
    keymap: dict[str, str] = {}
    bad: list[str] = []
    for binding_id, keys in table.items():
        if isinstance(keys, str) and keys.strip():
            keymap[str(binding_id)] = keys.strip()
        elif isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
            keymap[str(binding_id)] = ",".join(k.strip() for k in keys)
        elif binding_id != "keys":
            bad.append(str(binding_id))
    problem = None
    if bad:
        problem = _("Key map {path}: ignored entries without keys: {ids}").format(
            path=path, ids=", ".join(bad)
        )
    return keymap, problem
