"""The user's settings: one ``config.toml`` in the platform's config folder.

::

    # Rolodex settings (rolodex config path prints where this file is)
    theme = "rolodex-light"      # a theme's name; `rolodex --theme NAME` for one run
    language = "sv"              # en or sv; empty: from LANGUAGE / LC_ALL / LANG

    [keymap]                     # binding id = keys (F1 shows every id)
    "app.palette" = "ctrl+k"
    "table.cursor_down" = "down,j"

    [columns]                    # the columns of each index (Edit columns writes them)
    contact = ["name", "prop:email", "primary_company"]

    [activity_rules.contact.call]   # a call logged on a contact is also associated with
    primary_company = 1             # its primary company and its 3 newest open deals,
    open_deals = 3                  # unless the database has rules of its own

    [views."Swedish contacts"]      # a saved view (crm/saved_views.py): `rolodex list
    object = "contact"              # --view NAME`, and the palette
    filter = "primary.country = Sweden"

Environment variables override the file: ``ROLODEX_THEME``, ``ROLODEX_LANGUAGE``, and
``ROLODEX_CONFIG_DIR`` names another folder. Theme files of your own go in the
``themes`` folder beside the file. The file is read with tomllib and written with
tomlkit, so your comments and layout survive every change the app makes. The
``settings.json`` and ``keymap.toml`` of earlier versions are moved into it once.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolodex.i18n import _

if TYPE_CHECKING:
    from rolodex.crm.saved_views import SavedView

CONFIG_NAME = "config.toml"
THEMES_FOLDER = "themes"
BROWSERS_FOLDER = "browsers"
CONFIG_DIR_VARIABLE = "ROLODEX_CONFIG_DIR"
# Settings that an environment variable overrides, and the variable.
ENVIRONMENT = {"theme": "ROLODEX_THEME", "language": "ROLODEX_LANGUAGE"}
LANGUAGES = ("en", "sv")
SECTIONS = ("keymap", "columns", "activity_rules")
KEYS = ("theme", "language", *SECTIONS, "views")
# What a browser session of `rolodex serve` keeps for itself (its view of the app).
VIEW_KEYS = ("theme", "columns")
LEGACY_SETTINGS = "settings.json"
LEGACY_KEYMAP = "keymap.toml"


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


def default_config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$ROLODEX_CONFIG_DIR, else the platform's config folder for rolodex."""
    chosen = environ.get(CONFIG_DIR_VARIABLE, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    if sys.platform.startswith("linux"):
        # platformdirs' rule on Linux, without importing it (the command line starts lean)
        base = environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
        return Path(base) / "rolodex"
    import platformdirs

    return Path(platformdirs.user_config_dir("rolodex"))


def config_path(directory: Path) -> Path:
    return directory / CONFIG_NAME


def user_themes_dir(directory: Path) -> Path:
    return directory / THEMES_FOLDER


def browser_view_file(directory: Path, browser: str) -> Path:
    """Where one browser of `rolodex serve` keeps its own view settings."""
    return directory / BROWSERS_FOLDER / f"{browser}.toml"


# ---------------------------------------------------------------- checking values


def check_theme(value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(_("theme must be a theme's name"))
    return value.strip()


def check_language(value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(_("language must be one of: {languages}").format(languages="en, sv"))
    text = value.strip().lower()
    if text and text not in LANGUAGES:
        raise ConfigError(
            _("language '{value}' is not available (languages: {languages})").format(
                value=value, languages=", ".join(LANGUAGES)
            )
        )
    return text


def check_keys(binding_id: str, value: object) -> str:
    if isinstance(value, str) and value.strip():
        return ",".join(k.strip() for k in value.split(",") if k.strip())
    if isinstance(value, list) and value and all(isinstance(k, str) and k.strip() for k in value):
        return ",".join(k.strip() for k in value)
    raise ConfigError(
        _('keymap: \'{id}\' needs keys, such as "ctrl+k" or ["down", "j"]').format(id=binding_id)
    )


def check_columns(object_key: str, value: object) -> list[str]:
    if isinstance(value, list) and all(isinstance(c, str) for c in value):
        return [c.strip() for c in value if c.strip()]
    raise ConfigError(
        _("columns: '{object}' must be a list of column keys").format(object=object_key)
    )


def check_activity_rules(value: object) -> dict[str, dict[str, dict[str, int]]]:
    """{object or "*": {activity type or "*": {rule kind: how many}}}."""
    from rolodex.crm.activities import RULE_KINDS

    problem = ConfigError(
        _(
            "activity_rules must look like [activity_rules.contact.call] with "
            "rule = number lines (rules: {kinds})"
        ).format(kinds=", ".join(RULE_KINDS))
    )
    if not isinstance(value, dict):
        raise problem
    out: dict[str, dict[str, dict[str, int]]] = {}
    for object_key, per_type in value.items():
        if not isinstance(per_type, dict):
            raise problem
        for activity, targets in per_type.items():
            if not isinstance(targets, dict):
                raise problem
            for kind, number in targets.items():
                if (
                    kind not in RULE_KINDS
                    or isinstance(number, bool)
                    or not isinstance(number, int)
                ):
                    raise problem
                if number < 0:
                    raise problem
            out.setdefault(str(object_key), {})[str(activity)] = {
                str(k): int(v) for k, v in targets.items()
            }
    return out


# ---------------------------------------------------------------- the settings


@dataclass
class Settings:
    """What the app uses of the config, with every problem found reading it."""

    directory: Path
    theme: str | None = None
    language: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    activity_rules: dict[str, dict[str, dict[str, int]]] | None = None
    views: list[SavedView] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # setting -> the environment variable that set it (`config show` says so)
    overridden: dict[str, str] = field(default_factory=dict)
    # A browser session of `rolodex serve` saves its view settings here, not in config.toml.
    view_file: Path | None = None

    @property
    def path(self) -> Path:
        return config_path(self.directory)

    @property
    def themes_dir(self) -> Path:
        return user_themes_dir(self.directory)

    def save(self) -> str | None:
        """Write the view settings (theme, columns) the app changed; comments and every
        other line of the file stay as they were. Returns a problem instead of raising."""
        target = self.view_file or self.path
        values: dict[str, Any] = {"columns": self.columns}
        if self.theme and "theme" not in self.overridden:  # ROLODEX_THEME is not a choice
            values["theme"] = self.theme
        try:
            update_file(target, values)
        except OSError as exc:
            return _("Cannot save settings to {path}: {error}").format(path=target, error=exc)
        return None


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file: the command line starts lean

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return tomllib.loads(text)


def read_language(directory: Path | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """The language the config asks for ("" for the environment's): read before anything
    else, since texts are translated when the modules that hold them are imported. A
    broken file is reported when the settings are loaded; here it means no choice."""
    chosen = environ.get(ENVIRONMENT["language"])
    if chosen is not None:
        try:
            return check_language(chosen)
        except ConfigError:
            return ""
    directory = directory or default_config_dir(environ)
    path = config_path(directory)
    if not path.exists():
        return ""
    try:
        value = _read_toml(path).get("language", "")
        return check_language(value)
    except (OSError, ValueError, UnicodeDecodeError):
        return ""


def load_settings(
    directory: Path,
    *,
    environ: Mapping[str, str] = os.environ,
    view_file: Path | None = None,
) -> Settings:
    """The settings (defaults for anything unreadable), each problem once in ``problems``."""
    import tomllib

    settings = Settings(directory, view_file=view_file)
    migrated = migrate_legacy(directory)
    if migrated:
        settings.problems.append(migrated)
    path = settings.path
    try:
        data = _read_toml(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        settings.problems.append(
            _("Config file {path} is unreadable ({error}); using defaults").format(
                path=path, error=" ".join(str(exc).split())
            )
        )
        data = {}
    _apply(settings, data, str(path))
    if view_file is not None:
        try:
            view = _read_toml(view_file)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            view = {}  # a browser's own file, written by the app: start it afresh
        _apply(settings, {k: v for k, v in view.items() if k in VIEW_KEYS}, str(view_file))
    for key, variable in ENVIRONMENT.items():
        value = environ.get(variable)
        if value is None:
            continue
        try:
            checked = check_theme(value) if key == "theme" else check_language(value)
        except ConfigError as exc:
            settings.problems.append(f"{variable}: {exc}")
            continue
        setattr(settings, key, checked or None)
        settings.overridden[key] = variable
    return settings


def _apply(settings: Settings, data: dict[str, Any], where: str) -> None:
    for key in data:
        if key not in KEYS:
            settings.problems.append(
                _("{file}: unknown setting '{key}' (settings: {keys})").format(
                    file=where, key=key, keys=", ".join(KEYS)
                )
            )

    def report(exc: ConfigError) -> None:
        settings.problems.append(f"{where}: {exc}")

    for key, check in (("theme", check_theme), ("language", check_language)):
        if key in data:
            try:
                setattr(settings, key, check(data[key]) or None)
            except ConfigError as exc:
                report(exc)
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        report(ConfigError(_("[keymap] must be a table of binding id = keys")))
        keymap = {}
    for binding_id, keys in keymap.items():
        try:
            settings.keymap[str(binding_id)] = check_keys(str(binding_id), keys)
        except ConfigError as exc:
            report(exc)
    columns = data.get("columns", {})
    if not isinstance(columns, dict):
        report(ConfigError(_("[columns] must be a table of object = [columns]")))
        columns = {}
    for object_key, value in columns.items():
        try:
            settings.columns[str(object_key)] = check_columns(str(object_key), value)
        except ConfigError as exc:
            report(exc)
    if "activity_rules" in data:
        try:
            settings.activity_rules = check_activity_rules(data["activity_rules"])
        except ConfigError as exc:
            report(exc)
    if "views" in data:
        from rolodex.crm.saved_views import read_views  # only for a file with views

        views, problems = read_views(data["views"])
        settings.views = views
        for problem in problems:
            report(ConfigError(problem))


def saved_views(directory: Path | None = None) -> list[SavedView]:
    """The saved views of config.toml (name, object, filter, sort), in file order; a view
    that cannot be used is left out (``load_settings(...).problems`` says why)."""
    return load_settings(directory or default_config_dir()).views


# ---------------------------------------------------------------- writing


HEADER = (
    "Rolodex settings. `rolodex config show` prints them, `rolodex config set KEY VALUE`\n"
    "changes one; your comments stay. Keys: theme, language, [keymap], [columns],\n"
    "[activity_rules]. ROLODEX_THEME and ROLODEX_LANGUAGE override this file."
)


def update_file(path: Path, values: Mapping[str, Any]) -> None:
    """Set top-level keys of a TOML file (None removes one), keeping everything else.

    Written to a temporary file and renamed over the old one, so a crash never leaves
    half a file; a symbolic link at ``path`` is followed to the file it names."""
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = tomlkit.document()
        for line in HEADER.splitlines():
            document.add(tomlkit.comment(line))
    for key, value in values.items():
        if value is None or value == {}:
            if key in document:
                del document[key]
        elif isinstance(value, dict):
            _merge_table(document, key, value)
        else:
            document[key] = value
    write_text(path, tomlkit.dumps(document))


def _merge_table(document: Any, key: str, value: dict[str, Any]) -> None:
    """The table ``key`` holds exactly ``value``; entries it keeps stay where they were."""
    import tomlkit

    table = document.get(key)
    if table is None or not isinstance(table, dict):
        table = tomlkit.table()
        document[key] = table
    for name in [name for name in table if name not in value]:
        del table[name]
    for name, item in value.items():
        if isinstance(item, dict):
            _merge_table(table, name, item)
        elif table.get(name) != item:
            table[name] = item


def write_text(path: Path, text: str) -> None:
    real = path.resolve() if path.is_symlink() else path
    real.parent.mkdir(parents=True, exist_ok=True)
    temporary = real.with_name(f".{real.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, real)
    finally:
        temporary.unlink(missing_ok=True)


def set_value(directory: Path, key: str, value: str) -> tuple[str, Any]:
    """`rolodex config set KEY VALUE`: check, then write; returns the key and the value
    as stored. KEY is ``theme``, ``language``, ``keymap.ID`` (VALUE: keys, comma
    separated), ``columns.OBJECT`` (VALUE: columns, comma separated) or
    ``activity_rules.OBJECT.ACTIVITY.RULE`` (VALUE: a number); an empty VALUE removes
    the setting."""
    section, _dot, rest = key.strip().partition(".")
    path = config_path(directory)
    if section in ("theme", "language") and not rest:
        stored: Any = (check_theme if section == "theme" else check_language)(value)
        update_file(path, {section: stored or None})
        return section, stored
    if section not in SECTIONS or not rest:
        raise ConfigError(
            _(
                "unknown setting '{key}' (settings: theme, language, keymap.ID, "
                "columns.OBJECT, activity_rules.OBJECT.ACTIVITY.RULE)"
            ).format(key=key)
        )
    current = _read_toml(path).get(section, {})
    table: dict[str, Any] = dict(current) if isinstance(current, dict) else {}
    if section == "keymap":
        if value.strip():
            table[rest] = check_keys(rest, value)
        else:
            table.pop(rest, None)
    elif section == "columns":
        if value.strip():
            table[rest] = check_columns(rest, value.split(","))
        else:
            table.pop(rest, None)
    else:
        parts = rest.split(".")
        if len(parts) != 3:
            raise ConfigError(
                _("activity_rules settings are named activity_rules.OBJECT.ACTIVITY.RULE")
            )
        object_key, activity, kind = parts
        per_type = table.setdefault(object_key, {})
        targets = per_type.setdefault(activity, {})
        if value.strip():
            try:
                targets[kind] = int(value)
            except ValueError as exc:
                raise ConfigError(_("'{value}' is not a number").format(value=value)) from exc
        else:
            targets.pop(kind, None)
        check_activity_rules(table)
    update_file(path, {section: table})
    return key.strip(), value.strip()


# ---------------------------------------------------------------- earlier files


def migrate_legacy(directory: Path) -> str | None:
    """Move settings.json (theme, columns) and keymap.toml of earlier versions into
    config.toml, once: when config.toml does not exist yet. The old files are renamed
    ``*.migrated``. Returns a one-line notice when something was moved."""
    import tomllib

    path = config_path(directory)
    legacy_settings = directory / LEGACY_SETTINGS
    legacy_keymap = directory / LEGACY_KEYMAP
    if path.exists() or not (legacy_settings.exists() or legacy_keymap.exists()):
        return None
    values: dict[str, Any] = {}
    moved = []
    try:
        if legacy_settings.exists():
            data = json.loads(legacy_settings.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                if isinstance(data.get("theme"), str):
                    values["theme"] = data["theme"]
                columns = data.get("columns")
                if isinstance(columns, dict):
                    values["columns"] = {
                        str(k): [str(c) for c in v]
                        for k, v in columns.items()
                        if isinstance(v, list)
                    }
            moved.append(legacy_settings)
        if legacy_keymap.exists():
            data = tomllib.loads(legacy_keymap.read_text(encoding="utf-8"))
            table = data.get("keys", data)
            if isinstance(table, dict):
                values["keymap"] = {
                    str(k): v
                    for k, v in table.items()
                    if isinstance(v, (str, list)) and k != "keys"
                }
            moved.append(legacy_keymap)
        update_file(path, values)
        for old in moved:
            old.replace(old.with_name(old.name + ".migrated"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return _("Could not move {files} into {path} ({error}); they are ignored").format(
            files=", ".join(p.name for p in moved) or LEGACY_SETTINGS,
            path=path,
            error=" ".join(str(exc).split()),
        )
    return _("Moved {files} into {path}").format(files=", ".join(p.name for p in moved), path=path)


def shown(settings: Settings) -> dict[str, Any]:
    """The settings in effect, as `rolodex config show` prints them."""
    out: dict[str, Any] = {
        "theme": settings.theme or "",
        "language": settings.language or "",
        "keymap": dict(settings.keymap),
        "columns": {k: list(v) for k, v in settings.columns.items()},
    }
    if settings.activity_rules is not None:
        out["activity_rules"] = settings.activity_rules
    if settings.views:
        out["views"] = {
            view.name: {"object": view.object, "filter": view.filter, "sort": view.sort}
            for view in settings.views
        }
    return out
