"""The `rolodex` command line: a thin, scriptable layer over crm/ (design section 4).

Every change goes through crm/ with an API context; errors are one line on
stderr and exit code 2; `check` exits 1 when an invariant is violated.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from rolodex import cli_format
from rolodex.i18n import _, ngettext

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_ERROR = 2


class UsageError(Exception):
    """Bad command-line syntax: reported like every other error, in one line."""


class Unavailable(Exception):
    """A part of Rolodex this build does not include."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(
            _("{message} (see '{prog} --help')").format(message=message, prog=self.prog)
        )


def _hook(module: str, name: str) -> Callable[..., Any]:
    """A function of another part of Rolodex, imported only when needed."""
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module == missing or module.startswith(missing + ".")):
            raise Unavailable(
                _("{what} is not available in this build").format(what=module)
            ) from exc
        raise
    func = getattr(loaded, name, None)
    if func is None:
        raise Unavailable(
            _("{what} is not available in this build").format(what=f"{module}.{name}")
        )
    return func  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the parser


class _Version(argparse.Action):
    """--version: the installed distribution's version, looked up only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("rolodex")
        except PackageNotFoundError:
            number = "unknown"
        sys.stdout.write(f"rolodex {number}\n")
        parser.exit()


def _global_options(parser: argparse.ArgumentParser, *, top: bool, demo: bool = True) -> None:
    """--db and --demo, before the command or after it. After it, an option that is not
    given leaves the value given before it (SUPPRESS: no default overwrites it)."""
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=default,
        help=_("database file or URL (default: $ROLODEX_DB, else your per-user database)"),
    )
    if demo:
        parser.add_argument(
            "--demo",
            action="store_true",
            default=False if top else argparse.SUPPRESS,
            help=_("work on a scratch copy of the demo database"),
        )


def build_parser(types_help: str | None = None) -> argparse.ArgumentParser:
    """The whole command line. ``types_help`` (the object types and their properties,
    read from the database) is shown by ``add --help``."""
    from rolodex.crm import moments

    parser = _Parser(
        prog="rolodex",
        description=_("A keyboard-driven terminal CRM built around associations."),
        epilog=_(
            "REF names a record: TYPE:ID (contact:42), a contact's email or a company's domain. "
            "Without a command, the app opens (it needs a terminal)."
        ),
    )
    parser.add_argument("--version", action=_Version, help=_("print the version and exit"))
    _global_options(parser, top=True)
    parser.add_argument(
        "--theme",
        metavar="NAME",
        help=_("the app's theme for this run (default: $ROLODEX_THEME, else config.toml)"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, help_text: str, *, demo: bool = True, **kwargs: Any
    ) -> argparse.ArgumentParser:
        made = sub.add_parser(name, help=help_text, description=help_text, **kwargs)
        _global_options(made, top=False, demo=demo)
        return made

    def action(actions: Any, name: str, help_text: str, **kwargs: Any) -> argparse.ArgumentParser:
        made = actions.add_parser(name, help=help_text, description=help_text, **kwargs)
        _global_options(made, top=False)
        return made

    def fmt(p: argparse.ArgumentParser, choices: tuple[str, ...], default: str) -> None:
        p.add_argument(
            "--format",
            choices=choices,
            default=default,
            help=_("output format: {choices} (default: {default})").format(
                choices=", ".join(choices), default=default
            ),
        )

    def json_fmt(p: argparse.ArgumentParser) -> None:
        fmt(p, ("text", "json"), "text")

    p = command(
        "add",
        _("create a record and print its REF"),
        epilog=types_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("type", metavar="TYPE", help=_("the object type, singular (see below)"))
    p.add_argument("values", metavar="KEY=VALUE", nargs="*", help=_("property values (see below)"))
    json_fmt(p)

    p = command("update", _("change a record's properties (an empty value clears one)"))
    p.add_argument("ref", metavar="REF", help=_("the record"))
    p.add_argument("values", metavar="KEY=VALUE", nargs="+", help=_("new values; KEY= clears one"))
    p.add_argument(
        "--version",
        type=int,
        metavar="N",
        help=_("fail unless the record is still at this version (no lost update)"),
    )
    json_fmt(p)

    p = command("show", _("a record and its associations"))
    p.add_argument("ref", metavar="REF", help=_("the record"))
    json_fmt(p)
    p.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        help=_("associations as they stood at this moment: {moment}").format(
            moment=moments.help_text()
        ),
    )

    p = command(
        "associate",
        _("associate two records: the first is the second's LABEL"),
        epilog=_(
            "With more REFs the first is associated with each of the others, as with two; "
            "'-' reads REFs from standard input, one a line (rolodex list contact --format "
            "refs | rolodex associate deal:7 -). One transaction; a record a rule refuses "
            "(a limit) is named on standard error and the others are associated (exit 1). "
            "With several, --primary makes the first, a company, each one's primary company."
        ),
    )
    p.add_argument("src", metavar="REF", help=_("the first record"))
    p.add_argument(
        "dst", metavar="REF", nargs="+", help=_("the second record (or several, or - for stdin)")
    )
    p.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="NAME",
        help=_("a label: the first record is the second's NAME (repeat for several)"),
    )
    p.add_argument(
        "--primary", action="store_true", help=_("make the second record the first's primary")
    )
    json_fmt(p)

    p = command("dissociate", _("remove an association, or only one of its labels"))
    p.add_argument("src", metavar="REF", help=_("the first record"))
    p.add_argument("dst", metavar="REF", help=_("the second record"))
    p.add_argument("--label", metavar="NAME", help=_("remove only this label"))
    p.add_argument(
        "--new-primary",
        metavar="REF",
        help=_("the new primary company when the removed one was the primary"),
    )
    json_fmt(p)

    p = command("set-primary", _("make an associated company the record's primary company"))
    p.add_argument("ref", metavar="REF", help=_("the record"))
    p.add_argument("company", metavar="COMPANY_REF", help=_("the company to make primary"))
    json_fmt(p)

    p = command("delete", _("move a record to the recycle bin"))
    p.add_argument("ref", metavar="REF", help=_("the record"))
    json_fmt(p)
    p = command("restore", _("bring a record back from the recycle bin"))
    p.add_argument("ref", metavar="REF", help=_("the record (TYPE:ID)"))
    json_fmt(p)
    p = command("merge", _("merge OTHER_REF into KEEP_REF"))
    p.add_argument("keep", metavar="KEEP_REF", help=_("the record that stays"))
    p.add_argument("other", metavar="OTHER_REF", help=_("the record merged into it"))
    json_fmt(p)
    p = command("bin", _("list the recycle bin"))
    p.add_argument(
        "--purge",
        action="store_true",
        help=_(
            "forget records deleted more than 90 days ago now (this also runs by itself once a day)"
        ),
    )
    json_fmt(p)

    p = command("history", _("a record's association history, newest first"))
    p.add_argument("ref", metavar="REF", help=_("the record"))
    p.add_argument("--object", metavar="TYPE", help=_("only changes with records of this type"))
    p.add_argument(
        "--with",
        dest="other",
        metavar="REF",
        help=_("only the history of the association with this record"),
    )
    p.add_argument("--limit", type=int, metavar="N", help=_("only the N newest changes"))
    fmt(p, ("table", "csv", "json"), "table")

    p = command(
        "undo",
        _("undo an association change: put the association back as it was before it"),
        epilog=_(
            "HISTORY_ID is the # of a change in `rolodex history` (history_id in its JSON). "
            "The undo is a new change that names the one it reverts; it is refused when the "
            "association changed again since, a record is gone or a limit would be exceeded."
        ),
    )
    p.add_argument(
        "history_id", metavar="HISTORY_ID", type=_history_id, help=_("the change to undo")
    )
    json_fmt(p)

    p = command(
        "tree",
        _("the hierarchy around a record (a company group, an org chart)"),
        epilog=_(
            "From the record's topmost parent down, each record with its contacts and open "
            "deals, summed over everything below it. --depth N lists N levels below the top "
            "(the way down to REF always)."
        ),
    )
    p.add_argument("ref", metavar="REF", help=_("a record of the hierarchy"))
    p.add_argument("--depth", type=int, metavar="N", help=_("levels below the top to list"))
    p.add_argument(
        "--label", metavar="NAME", help=_("the hierarchical label (when there are several)")
    )
    fmt(p, ("text", "json"), "text")

    p = command(
        "search",
        _("find records by name, email or domain"),
        epilog=_(
            "Live records whose name contains TEXT (casefolded) or whose email or domain "
            "contains it (lower-cased): names starting with TEXT first, then the others; "
            "each group sorted by name. --limit N shows the first N."
        ),
    )
    p.add_argument("text", metavar="TEXT", help=_("what to look for"))
    p.add_argument(
        "--type", metavar="TYPE", action="append", help=_("only this type (repeat for several)")
    )
    p.add_argument(
        "--limit", type=int, default=20, metavar="N", help=_("at most N records (default: 20)")
    )
    json_fmt(p)

    p = command(
        "list",
        _("list the records of one object, with their primary company and association counts"),
        epilog=_(
            "Examples: rolodex list contact --where job_title=CTO --sort name; "
            "rolodex list deal --associated-with acme.se --format json; "
            "rolodex list contact --format refs | xargs -n1 rolodex show; "
            "rolodex list contact --filter 'primary.country = Sweden and job_title ~ sales'; "
            "rolodex list company --filter 'count(contact) = 0'; "
            "rolodex list --view 'Swedish contacts'. "
            "Rows stream as they are read: a million records start at once."
        ),
    )
    p.add_argument(
        "type",
        metavar="TYPE",
        nargs="?",
        help=_("the object type, singular (with --view: the view's object, if given)"),
    )
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help=_(
            "only records matching the filter, such as 'primary.country = Sweden', "
            "'deal[Decision maker].stage !~ closed', 'count(contact) > 5', "
            "'with deal:7' (repeat: all must hold; the README describes the language)"
        ),
    )
    p.add_argument(
        "--view",
        metavar="NAME",
        help=_('the records of a view saved in config.toml ([views."NAME"])'),
    )
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="PROP=VALUE",
        help=_("only records whose property equals VALUE (repeat: all must hold)"),
    )
    p.add_argument(
        "--associated-with",
        action="append",
        default=[],
        metavar="REF",
        help=_("only records associated with this record (repeat: with all of them)"),
    )
    p.add_argument(
        "--sort",
        metavar="PROP",
        help=_(
            "sort by name, created or a property; a leading - reverses, as in "
            "--sort=-created (default: name, or the view's sort)"
        ),
    )
    p.add_argument("--limit", type=int, metavar="N", help=_("at most N records"))
    fmt(p, ("table", "csv", "json", "refs"), "table")

    p = command("log", _("log an activity on a record"))
    p.add_argument("ref", metavar="REF", help=_("the record the activity is about"))
    p.add_argument(
        "activity", metavar="ACTIVITY_TYPE", help=_("note, email, call, meeting or task")
    )
    p.add_argument("values", metavar="KEY=VALUE", nargs="*", help=_("the activity's properties"))
    json_fmt(p)

    p = command(
        "domains",
        _("associate contacts with companies by email domain; manage the exclusion list"),
        epilog=_(
            "rolodex domains [REF]: run the rule for one contact or all. "
            "rolodex domains exclude DOMAIN...: never match these domains; "
            "with --list: show the list; with --remove: take domains off it."
        ),
    )
    p.add_argument(
        "words",
        metavar="REF | exclude DOMAIN...",
        nargs="*",
        help=_("one contact (default: all), or 'exclude' and domains"),
    )
    p.add_argument("--list", action="store_true", help=_("with exclude: list the excluded domains"))
    p.add_argument(
        "--remove", action="store_true", help=_("with exclude: remove the domains from the list")
    )
    json_fmt(p)

    p = command("recommend", _("records worth associating with REF"))
    p.add_argument("ref", metavar="REF", help=_("the record"))
    p.add_argument("type", metavar="TYPE", help=_("the object type of the recommendations"))
    p.add_argument(
        "--limit", type=int, default=8, metavar="N", help=_("at most N records (default: 8)")
    )
    json_fmt(p)

    labels = command("labels", _("list, create and delete labels; set limits"))
    lsub = labels.add_subparsers(dest="labels_command", metavar="ACTION")
    lsub.required = True
    p = action(lsub, "list", _("labels and limits"))
    p.add_argument("pair", metavar="TYPE", nargs="*", help=_("FROM_TYPE TO_TYPE"))
    json_fmt(p)
    p = action(lsub, "create", _("define a label: FROM is TO's NAME"))
    p.add_argument("from_type", metavar="FROM_TYPE", help=_("the object the label is on"))
    p.add_argument("to_type", metavar="TO_TYPE", help=_("the object it is seen from"))
    p.add_argument("name", metavar="NAME", help=_("the label"))
    p.add_argument("--inverse", metavar="NAME", help=_("the word seen from the other side"))
    p.add_argument(
        "--hierarchical",
        action="store_true",
        help=_(
            "the records form trees: FROM is the parent (Manager / Employee), "
            "a record has one at most; see rolodex tree"
        ),
    )
    json_fmt(p)
    p = action(lsub, "delete", _("delete an unused label"))
    p.add_argument("from_type", metavar="FROM_TYPE", help=_("the object the label is on"))
    p.add_argument("to_type", metavar="TO_TYPE", help=_("the object it is seen from"))
    p.add_argument("name", metavar="NAME", help=_("the label"))
    json_fmt(p)
    p = action(lsub, "limit", _("cap how many TO records one FROM record may have"))
    p.add_argument("from_type", metavar="FROM_TYPE", help=_("the object whose records are capped"))
    p.add_argument("to_type", metavar="TO_TYPE", help=_("the object counted"))
    p.add_argument("max", metavar="N|many", help=_("the most allowed, or 'many' for no cap"))
    p.add_argument("--label", metavar="NAME", help=_("count only associations with this label"))
    json_fmt(p)
    p = action(lsub, "usage", _("records over or near (>= 80%%) a limit"))
    json_fmt(p)

    objs = command("objects", _("list and create custom objects"))
    osub = objs.add_subparsers(dest="objects_command", metavar="ACTION")
    osub.required = True
    p = action(osub, "list", _("object types and their properties"))
    json_fmt(p)
    p = action(osub, "create", _("define a custom object"))
    p.add_argument("key", metavar="KEY", help=_("its key on the command line, e.g. project"))
    p.add_argument("--singular", required=True, metavar="NAME", help=_("one record's name"))
    p.add_argument("--plural", required=True, metavar="NAME", help=_("the name of several"))
    p.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="KEY:KIND",
        help=_("a property; KIND: {kinds} (repeat for several)").format(
            kinds="text, email, domain, number, date, datetime, phone"
        ),
    )
    p.add_argument("--display", metavar="KEY", help=_("the property that names a record"))
    json_fmt(p)

    p = command("check", _("verify the invariants; exit 1 when one is violated"))
    json_fmt(p)

    p = command(
        "import", _("import CSV, Excel and vCard (.vcf) files; list and revert past imports")
    )
    p.add_argument(
        "files",
        metavar="FILE",
        nargs="*",
        help=_(
            "files to import in one transaction (CSV, TSV, .xlsx or .vcf; named after their "
            "object, e.g. contacts.csv, or recognised by their columns)"
        ),
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=_("do everything but write: the summary (and --report) say what would happen"),
    )
    p.add_argument(
        "--report",
        metavar="FILE",
        help=_(
            "write every match to a CSV file: per row, the record it matched (and by "
            "which key) or creates, and each association it makes or leaves waiting"
        ),
    )
    p.add_argument(
        "--errors",
        metavar="FILE",
        help=_(
            "write rejected rows to this CSV file, with their reason, to fix and import "
            "again (one file per input file when there are several)"
        ),
    )
    p.add_argument(
        "--mode",
        choices=("create", "update", "upsert"),
        default="upsert",
        help=_(
            "upsert: change the records a row matches, create the others (default); "
            "create: only new records; update: only existing ones"
        ),
    )
    p.add_argument(
        "--create-labels",
        action="store_true",
        help=_("create the association labels the files use that do not exist yet"),
    )
    p.add_argument(
        "--revert",
        metavar="ID",
        help=_(
            "undo an earlier import: what it added goes, what it changed comes back, "
            "except what was changed since (kept and listed)"
        ),
    )
    p.add_argument(
        "--list",
        action="store_true",
        help=_("list past imports with their counts, newest first"),
    )
    p.add_argument(
        "--source",
        metavar="NAME",
        default="",
        help=_(
            "the system the files come from (e.g. hubspot): their Record IDs are that "
            "system's; name it when you import from several"
        ),
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=TARGET",
        help=_(
            "import a column as OBJECT.PROPERTY (created when missing), or as skip, keep "
            "or another column name; repeatable"
        ),
    )
    p.add_argument(
        "--skip", action="append", default=[], metavar="COLUMN", help=_("leave a column aside")
    )
    p.add_argument(
        "--keep-unknown",
        action="store_true",
        help=_("keep columns Rolodex does not know as new properties of the file's object"),
    )
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help=_("read how columns are imported from a mapping file (--map and --skip win)"),
    )
    p.add_argument(
        "--save-mapping",
        metavar="FILE",
        help=_("write how the columns were imported to a mapping file, to use again"),
    )
    json_fmt(p)

    p = command("export", _("export the records of one object, in the shape import reads"))
    p.add_argument(
        "type", metavar="TYPE", help=_("the object: contact, company, deal, ticket, note, ...")
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=_("the file to write (whole or not at all); without it, CSV on standard output"),
    )
    p.add_argument(
        "--format",
        choices=("csv", "xlsx", "vcf"),
        default="csv",
        help=_(
            "csv (the import shape), xlsx, or vcf (vCard 4.0, contacts only) (default: %(default)s)"
        ),
    )
    p.add_argument(
        "--vcard-version",
        choices=("4.0", "3.0"),
        default="4.0",
        help=_("the vCard version with --format vcf (default: %(default)s)"),
    )
    p.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="REF",
        help=_("only this record (repeat for a selection)"),
    )
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="PROP=VALUE",
        help=_("only records whose property equals VALUE, as in list"),
    )
    p.add_argument(
        "--associated-with",
        action="append",
        default=[],
        metavar="REF",
        help=_("only records associated with this record, as in list"),
    )
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help=_("only records matching the filter, as in list (repeat: all must hold)"),
    )

    p = command("seed", _("fill a database with synthetic data"))
    p.add_argument(
        "--size",
        choices=("demo", "10k", "100k", "1m"),
        required=True,
        help=_("how much: the demo's story, or about 10,000 / 100,000 / 1,000,000 records"),
    )
    p.add_argument(
        "--seed",
        type=int,
        default=42,
        metavar="N",
        help=_("random seed: the same N makes the same data (default: %(default)s)"),
    )

    p = command(
        "serve", _("the app in a web browser, for whoever holds the printed URL"), demo=False
    )
    p.add_argument(
        "--host", default="127.0.0.1", help=_("address to listen on (default: %(default)s)")
    )
    p.add_argument(
        "--port", type=int, default=8000, help=_("port to listen on (default: %(default)s)")
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help=_(
            "the address browsers use, e.g. http://crm.example:8000 (needed with --host 0.0.0.0)"
        ),
    )
    p.add_argument(
        "--demo",
        action="store_true",
        dest="serve_demo",
        help=_("each browser session gets its own scratch copy of the demo database"),
    )

    p = command("init", _("create a database (--shared: for a team on this host)"))
    p.add_argument("path", metavar="PATH", help=_("the database file to create"))
    p.add_argument("--shared", metavar="GROUP", help=_("the Unix group that shares it"))

    config = command(
        "config",
        _("where the settings are, what they are, and changing one"),
        epilog=_(
            "Settings: theme, language (en, sv), keymap.ID (keys), columns.OBJECT "
            "(columns), activity_rules.OBJECT.ACTIVITY.RULE (a number). "
            "Example: rolodex config set keymap.table.cursor_down down,j"
        ),
    )
    csub = config.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    p = action(csub, "path", _("print where config.toml (or another place) is"))
    p.add_argument(
        "what",
        nargs="?",
        choices=("config", "themes", "database", "folder"),
        default="config",
        help=_(
            "config: the file; themes: your themes folder; folder: the config folder; "
            "database: the database in use (default: %(default)s)"
        ),
    )
    p = action(csub, "show", _("the settings in effect"))
    fmt(p, ("toml", "json"), "toml")
    p = action(csub, "set", _("change one setting in config.toml (comments stay)"))
    p.add_argument("key", metavar="KEY", help=_("the setting, e.g. theme or keymap.app.palette"))
    p.add_argument("value", metavar="VALUE", help=_("the new value; empty removes the setting"))

    p = command(
        "completion",
        _("print the shell completion script"),
        epilog=_(
            'bash: eval "$(rolodex completion bash)" in ~/.bashrc; '
            'zsh: eval "$(rolodex completion zsh)" in ~/.zshrc; '
            "fish: rolodex completion fish > ~/.config/fish/completions/rolodex.fish"
        ),
        demo=False,
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help=_("your shell"))
    return parser


def _history_id(text: str) -> int:
    word = text.strip().lstrip("#")
    if not word.isdigit():
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a history id (the # of `rolodex history`)").format(text=text)
        )
    return int(word)


# ---------------------------------------------------------------- commands


def _object_json(info: Any) -> dict[str, Any]:
    return {
        "key": info.key,
        "singular": info.singular,
        "plural": info.plural,
        "kind": info.kind,
        "display": info.display_property,
        "properties": [{"key": p.key, "kind": p.kind} for p in info.properties],
    }


class Runner:
    """Runs one parsed command against the open database."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        from rolodex.crm.context import API, Context, new_batch

        self.args = args
        self.out = out
        self.err = err
        # One batch per command: the rows of one change belong together (an undo of
        # "set-primary" gives the old primary back).
        self.ctx = Context(API, batch=new_batch("cli"))

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    @property
    def as_json(self) -> bool:
        return getattr(self.args, "format", None) == "json"

    def report(self, data: Any, *lines: str) -> int:
        """The command's result: ``data`` as JSON with --format json, else the lines."""
        if self.as_json:
            cli_format.write_json(self.out, data)
        else:
            for line in lines:
                self.say(line)
        return EXIT_OK

    # -- helpers

    def resolve(self, ref: str, *, include_deleted: bool = False) -> Any:
        from rolodex.crm import records

        return records.resolve(ref, include_deleted=include_deleted)

    def values(self, pairs: list[str]) -> dict[str, str]:
        from rolodex.crm import records

        return records.parse_assignments(pairs)

    # -- records

    def cmd_add(self) -> int:
        from rolodex.crm import records

        record = records.create(self.args.type.strip().lower(), self.values(self.args.values))
        if self.as_json:
            return self.report(cli_format.record_json(record, []))
        if record.name:
            self.say(
                _("created {name} {ref}").format(
                    name=cli_format.one_line(record.name), ref=record.ref
                )
            )
        else:
            self.say(_("created {ref}").format(ref=record.ref))
        return EXIT_OK

    def cmd_update(self) -> int:
        from rolodex.crm import records

        record = self.resolve(self.args.ref)
        updated = records.update(record.id, self.values(self.args.values), self.args.version)
        return self.report(
            {**cli_format.record_json(updated, []), "version": updated.version},
            _("updated {ref} (version {version})").format(ref=updated.ref, version=updated.version),
        )

    def cmd_show(self) -> int:
        from rolodex.crm import associations, history, moments

        fmt = cli_format
        if self.args.as_of:
            moment = moments.parse_moment(self.args.as_of)
            record = self.resolve(self.args.ref, include_deleted=True)
            views: list[Any] = fmt.sort_past(history.as_of(record.id, moment))
        else:
            moment = None
            record = self.resolve(self.args.ref)
            views = associations.all_of(record.id)
        if self.args.format == "json":
            fmt.write_json(self.out, fmt.record_json(record, views))
        else:
            fmt.show_text(self.out, record, views, as_of=moment)
        return EXIT_OK

    def cmd_delete(self) -> int:
        from rolodex.crm import lifecycle

        record = self.resolve(self.args.ref)
        lifecycle.delete(record.id, self.ctx)
        return self.report(
            {"ref": record.ref, "deleted": True},
            _("deleted {ref} (in the recycle bin for 90 days)").format(ref=record.ref),
        )

    def cmd_restore(self) -> int:
        from rolodex.crm import lifecycle

        record = self.resolve(self.args.ref, include_deleted=True)
        lifecycle.restore(record.id, self.ctx)
        return self.report(
            {"ref": record.ref, "restored": True}, _("restored {ref}").format(ref=record.ref)
        )

    def cmd_merge(self) -> int:
        from rolodex.crm import lifecycle

        keep, other = self.resolve(self.args.keep), self.resolve(self.args.other)
        survivor = lifecycle.merge(keep.id, other.id, self.ctx)
        return self.report(
            {"kept": survivor.ref, "merged": other.ref},
            _("merged {other} into {keep}; {other} now resolves to {keep}").format(
                other=other.ref, keep=survivor.ref
            ),
        )

    def cmd_bin(self) -> int:
        from rolodex.crm import lifecycle

        fmt = cli_format
        if self.args.purge:
            purged = lifecycle.purge_expired(self.ctx)
            return self.report(
                {"purged": purged},
                ngettext(
                    "purged {n} record deleted more than 90 days ago",
                    "purged {n} records deleted more than 90 days ago",
                    purged,
                ).format(n=purged),
            )
        binned = lifecycle.recycle_bin()
        if self.as_json:
            return self.report(
                [
                    {
                        "ref": view.ref,
                        "type": view.type,
                        "id": view.id,
                        "name": view.name,
                        "deleted_at": fmt.iso_utc(view.deleted_at),
                    }
                    for view in binned
                ]
            )
        rows = [[view.ref, view.name, fmt.human_utc(view.deleted_at)] for view in binned]
        if not rows:
            self.say(_("The recycle bin is empty."))
            return EXIT_OK
        fmt.table(self.out, [_("REF"), _("Name"), _("Deleted (UTC)")], rows)
        return EXIT_OK

    # -- associations

    def cmd_associate(self) -> int:
        from rolodex.crm import associations

        words = self._refs_given(self.args.dst)
        if len(words) != 1:
            return self._associate_many(words)
        src, dst = self.resolve(self.args.src), self.resolve(words[0])
        change = associations.associate(
            src.id, dst.id, self.ctx, self.args.label, primary=self.args.primary
        )
        details = []
        seen_from_dst = associations.between(dst.id, src.id)
        if seen_from_dst is not None and seen_from_dst.labels:
            details.append(
                _("{a} is {b}'s {labels}").format(
                    a=src.ref, b=dst.ref, labels=", ".join(seen_from_dst.labels)
                )
            )
        if seen_from_dst is not None and seen_from_dst.primary:  # src is dst's primary
            details.append(_("{a} is {b}'s primary company").format(a=src.ref, b=dst.ref))
        if seen_from_dst is not None and seen_from_dst.primary_of_other:  # dst is src's primary
            details.append(_("{b} is {a}'s primary company").format(a=src.ref, b=dst.ref))
        suffix = (
            " ({})".format("; ".join(cli_format.one_line(d) for d in details)) if details else ""
        )
        if self.as_json:
            seen_from_src = associations.between(src.id, dst.id)
            return self.report(
                {
                    "ref": src.ref,
                    "other": dst.ref,
                    "created": bool(change.created),
                    "changed": bool(change.changed),
                    "association": cli_format.association_json(seen_from_src)
                    if seen_from_src is not None
                    else None,
                }
            )
        if change.created:
            message = _("associated {a} with {b}").format(a=src.ref, b=dst.ref)
        elif change.changed:
            message = _("updated the association of {a} and {b}").format(a=src.ref, b=dst.ref)
        else:
            message = _("{a} and {b} were already associated; nothing changed").format(
                a=src.ref, b=dst.ref
            )
        self.say(message + suffix)
        return EXIT_OK

    def _refs_given(self, words: list[str]) -> list[str]:
        """The REF arguments, with '-' read from standard input (one a line; blank lines
        and lines starting with # skipped)."""
        found: list[str] = []
        for word in words:
            if word != "-":
                found.append(word)
                continue
            for line in sys.stdin:
                text = line.strip()
                if text and not text.startswith("#"):
                    found.append(text)
        if not found:
            raise UsageError(_("no records to associate with: give REFs, or - and REFs on stdin"))
        return found

    def _associate_many(self, words: list[str]) -> int:
        """``associate FIRST OTHER...``: every REF resolved before anything changes."""
        from rolodex.crm import bulk_actions, objects, records
        from rolodex.crm.errors import RolodexError

        first = self.resolve(self.args.src)
        others, unknown = [], []
        for word in words:
            try:
                others.append(records.resolve(word))
            except RolodexError as exc:
                unknown.append(f"{word}: {exc}")
        if unknown:
            raise UsageError(
                ngettext(
                    "{n} REF is not a record; nothing was associated: {refs}",
                    "{n} REFs are not records; nothing was associated: {refs}",
                    len(unknown),
                ).format(
                    n=len(unknown),
                    refs="; ".join(unknown[:5]) + ("; …" if len(unknown) > 5 else ""),
                )
            )
        if self.args.primary and first.type != objects.COMPANY:
            raise UsageError(
                _(
                    "with several records, --primary makes the first each one's primary "
                    "company: {ref} is not a company"
                ).format(ref=first.ref)
            )
        result = bulk_actions.associate_with_each(
            first.id, [o.id for o in others], self.ctx, self.args.label, primary=self.args.primary
        )
        ref_of = {o.id: o.ref for o in others}
        refused = [(ref_of[i], why) for i, why in result.refused]
        for ref, why in refused:
            self.err.write(_("refused: {ref}: {reason}").format(ref=ref, reason=why) + "\n")
        self.report(
            {
                "ref": first.ref,
                "associated": [ref_of[i] for i in result.done],
                "unchanged": [ref_of[i] for i in result.unchanged],
                "refused": [{"ref": ref, "reason": why} for ref, why in refused],
            },
            _(
                "associated {a} with {n} of {total} records ({same} already were, {refused} refused)"
            ).format(
                a=first.ref,
                n=len(result.done),
                total=result.total,
                same=len(result.unchanged),
                refused=len(refused),
            ),
        )
        return EXIT_CHECK_FAILED if refused else EXIT_OK

    def cmd_dissociate(self) -> int:
        from rolodex.crm import associations

        if self.args.label and self.args.new_primary:
            raise UsageError(
                _("--new-primary applies when removing the whole association, not a label")
            )
        src, dst = self.resolve(self.args.src), self.resolve(self.args.dst)
        new_primary = self.resolve(self.args.new_primary).id if self.args.new_primary else None
        associations.dissociate(
            src.id, dst.id, self.ctx, label=self.args.label, new_primary=new_primary
        )
        if self.as_json:
            return self.report(
                {
                    "ref": src.ref,
                    "other": dst.ref,
                    "removed": "label" if self.args.label else "association",
                    "label": self.args.label,
                }
            )
        if self.args.label:
            self.say(
                _("removed the label '{label}' from {a} and {b}").format(
                    label=self.args.label, a=src.ref, b=dst.ref
                )
            )
        else:
            self.say(_("dissociated {a} and {b}").format(a=src.ref, b=dst.ref))
        return EXIT_OK

    def cmd_set_primary(self) -> int:
        from rolodex.crm import associations

        record, company = self.resolve(self.args.ref), self.resolve(self.args.company)
        change = associations.set_primary(record.id, company.id, self.ctx)
        if self.as_json:
            return self.report(
                {"ref": record.ref, "primary": company.ref, "changed": bool(change.changed)}
            )
        if change.changed:
            self.say(
                _("{company} is now the primary company of {record}").format(
                    company=company.ref, record=record.ref
                )
            )
        else:
            self.say(
                _("{company} already is the primary company of {record}").format(
                    company=company.ref, record=record.ref
                )
            )
        return EXIT_OK

    def cmd_history(self) -> int:
        from rolodex.crm import history, objects

        fmt = cli_format
        record = self.resolve(self.args.ref, include_deleted=True)
        object_type = None
        if self.args.object:
            object_type = objects.by_key(self.args.object.strip().lower()).key
        limit = self.args.limit
        if limit is not None and limit < 1:
            raise UsageError(_("--limit must be at least 1"))
        if self.args.other:
            other = self.resolve(self.args.other, include_deleted=True)
            entries = history.pair_history(record.id, other.id)
            if object_type is not None:
                entries = [e for e in entries if e.other_type == object_type]
            entries = entries[:limit] if limit is not None else entries
        else:
            entries = history.record_history(record.id, object_type, limit=limit)
        if self.args.format == "json":
            fmt.write_json(self.out, fmt.history_json(entries))
        elif self.args.format == "csv":
            fmt.history_csv(self.out, entries)
        else:
            fmt.history_table(self.out, entries)
        return EXIT_OK

    def cmd_undo(self) -> int:
        from rolodex.crm import undo

        done = undo.undo(self.args.history_id, self.ctx)
        if done.before is None:
            message = _("undid #{id}: {a} and {b} are no longer associated")
        elif done.after is None:
            message = _("undid #{id}: {a} and {b} are associated again, as before")
        else:
            message = _("undid #{id}: the association of {a} and {b} is as it was before")
        return self.report(
            {
                "undone": done.history_id,
                "a": done.a_ref,
                "b": done.b_ref,
                "associated": done.before is not None,
            },
            message.format(id=done.history_id, a=done.a_ref, b=done.b_ref),
        )

    def cmd_tree(self) -> int:
        from rolodex.crm import hierarchy

        record = self.resolve(self.args.ref)
        found = hierarchy.tree(record.id, self.args.label, self.args.depth)
        if self.args.format == "json":
            cli_format.write_json(self.out, cli_format.tree_json(found))
        else:
            cli_format.tree_text(self.out, found)
        return EXIT_OK

    # -- finding

    def cmd_search(self) -> int:
        from rolodex.crm import objects, search

        fmt = cli_format
        types = [objects.by_key(t.strip().lower()).key for t in self.args.type or []]
        hits = search.search(self.args.text, types or None, limit=max(1, self.args.limit))
        if self.args.format == "json":
            fmt.write_json(
                self.out,
                [
                    {"ref": h.ref, "type": h.type, "id": h.id, "name": h.name, "detail": h.detail}
                    for h in hits
                ],
            )
            return EXIT_OK
        if not hits:
            self.say(_("No records match '{text}'.").format(text=fmt.one_line(self.args.text)))
            return EXIT_OK
        fmt.table(
            self.out,
            [_("REF"), _("Name"), _("Email or domain")],
            [[h.ref, h.name, h.detail] for h in hits],
        )
        return EXIT_OK

    def cmd_recommend(self) -> int:
        from rolodex.crm import objects, recommend

        fmt = cli_format
        record = self.resolve(self.args.ref)
        target = objects.by_key(self.args.type.strip().lower()).key
        found = recommend.recommend(record.id, target, limit=max(1, self.args.limit))
        if self.as_json:
            return self.report(
                [
                    {
                        "ref": r.ref,
                        "name": r.name,
                        "score": r.score,
                        "reasons": list(r.reasons),
                    }
                    for r in found
                ]
            )
        if not found:
            self.say(_("No recommendations for {ref}.").format(ref=record.ref))
            return EXIT_OK
        fmt.table(
            self.out,
            [_("REF"), _("Name"), _("Score"), _("Why")],
            [[r.ref, r.name, f"{r.score:g}", ", ".join(r.reasons)] for r in found],
        )
        return EXIT_OK

    def cmd_list(self) -> int:
        from rolodex.crm import filter_expr, listing, objects

        enrich = self.args.format != "refs"
        if self.args.view is not None:
            query = self.saved_view_listing(limit=self.args.limit, enrich=enrich)
            info = query.info
        elif self.args.type is None:
            raise UsageError(_("list needs an object type (TYPE) or --view NAME"))
        else:
            info = objects.by_key(self.args.type.strip().lower())
            query = listing.Listing(info, limit=self.args.limit, enrich=enrich)
        if self.args.sort is not None:
            query.sort = self.args.sort
        query.conditions += [listing.parse_where(info, text) for text in self.args.where]
        for text in self.args.filter:
            query.conditions += filter_expr.conditions(info, text)
        for ref in self.args.associated_with:
            query.conditions.append(listing.associated_with(self.resolve(ref).id))
        cli_format.write_listing(self.out, query, listing.rows(query), self.args.format)
        return EXIT_OK

    def saved_view_listing(self, **options: Any) -> Any:
        """--view NAME: the view's listing; with TYPE, the view must list that object."""
        from rolodex.crm import objects, saved_views
        from rolodex.crm.errors import InvalidValue, NotFound
        from rolodex.ui.config import default_config_dir, load_settings

        settings = load_settings(default_config_dir())
        try:
            view = saved_views.find(settings.views, self.args.view)
        except NotFound:
            named = f"'{self.args.view.strip().casefold()}'"
            for problem in settings.problems:  # a view the config could not read
                if named in problem.casefold():
                    raise InvalidValue(problem) from None
            raise
        query = saved_views.listing(view, **options)
        if self.args.type is not None:
            wanted = objects.by_key(self.args.type.strip().lower())
            if wanted.key != query.info.key:
                raise UsageError(
                    _("view '{name}' lists {object}, not {type}").format(
                        name=view.name, object=query.info.key, type=wanted.key
                    )
                )
        return query

    # -- activities and rules

    def cmd_log(self) -> int:
        from rolodex.crm import activities, associations
        from rolodex.ui.config import default_config_dir, load_settings

        rules = load_settings(default_config_dir()).activity_rules
        if rules is not None:  # config.toml's defaults, where the database has none
            activities.use_default_rules(rules)

        record = self.resolve(self.args.ref)
        activity = activities.log(
            record.id, self.args.activity.strip().lower(), self.values(self.args.values), self.ctx
        )
        others = [v.other_ref for v in associations.all_of(activity.id) if v.other_id != record.id]
        if self.as_json:
            return self.report(
                {
                    **cli_format.record_json(activity, []),
                    "logged_on": record.ref,
                    "also_associated": others,
                }
            )
        self.say(
            _("logged {activity} on {record}").format(activity=activity.ref, record=record.ref)
        )
        if others:
            self.say(_("also associated with: {refs}").format(refs=", ".join(others)))
        return EXIT_OK

    def cmd_domains(self) -> int:
        from rolodex.crm import domains, objects, records
        from rolodex.crm.errors import InvalidValue

        words = list(self.args.words)
        if words and words[0] == "exclude":
            return self.domains_exclude(words[1:])
        if self.args.list or self.args.remove:
            raise UsageError(_("--list and --remove go with 'domains exclude'"))
        if len(words) > 1:
            raise UsageError(_("give one contact, or none for all contacts"))
        if words:
            contact = self.resolve(words[0])
            if contact.type != objects.CONTACT:
                raise InvalidValue(
                    _("{ref} is not a contact: domain matching is for contacts").format(
                        ref=contact.ref
                    )
                )
            company = domains.associate_by_domain(contact.id, self.ctx)
            if self.as_json:
                return self.report(
                    {
                        "ref": contact.ref,
                        "company": records.ref_of(objects.COMPANY, company) if company else None,
                    }
                )
            if company is None:
                self.say(
                    _(
                        "{ref}: no change (it has a company already, or no company owns its email domain)"
                    ).format(ref=contact.ref)
                )
            else:
                self.say(
                    _("associated {contact} with company:{id} by email domain").format(
                        contact=contact.ref, id=company
                    )
                )
            return EXIT_OK
        done = domains.associate_all_by_domain(self.ctx)
        return self.report(
            {"associated": done},
            _("{n} contacts associated with their company by email domain").format(n=done),
        )

    def domains_exclude(self, names: list[str]) -> int:
        from rolodex.crm import domains

        if self.args.list or not names:
            if names:
                raise UsageError(_("--list takes no domains"))
            excluded = sorted(domains.exclusions())
            if self.args.format == "json":
                cli_format.write_json(self.out, excluded)
            elif excluded:
                for name in excluded:
                    self.say(name)
            else:
                self.say(_("No domains are excluded (free-mail domains always are)."))
            return EXIT_OK
        if self.args.remove:
            changed = domains.remove_exclusions(names)
            return self.report(
                {"removed": list(changed)},
                _("removed from the exclusion list: {domains}").format(
                    domains=", ".join(changed) or "-"
                ),
            )
        changed = domains.add_exclusions(names)
        return self.report(
            {"excluded": list(changed)},
            _("excluded from domain matching: {domains}").format(domains=", ".join(changed) or "-"),
        )

    # -- labels and limits

    def cmd_labels(self) -> int:
        handler = getattr(self, "labels_" + self.args.labels_command)
        return int(handler())

    def labels_list(self) -> int:
        from rolodex.crm import labels, limits
        from rolodex.crm.errors import InvalidValue

        fmt = cli_format
        pair = [t.strip().lower() for t in self.args.pair]
        if len(pair) not in (0, 2):
            raise InvalidValue(_("give both FROM_TYPE and TO_TYPE, or neither"))
        found = labels.list_labels(*pair) if pair else labels.list_labels()
        caps = [
            lim
            for lim in limits.list_limits()
            if not pair or {lim.from_type, lim.to_type} == set(pair)
        ]
        if self.args.format == "json":
            fmt.write_json(
                self.out,
                {
                    "labels": [
                        {
                            "from_type": lab.from_type,
                            "to_type": lab.to_type,
                            "name": lab.name,
                            "inverse": lab.inverse,
                            "in_use": lab.in_use,
                            "hierarchical": lab.hierarchical,
                        }
                        for lab in found
                    ],
                    "limits": [
                        {
                            "from_type": lim.from_type,
                            "to_type": lim.to_type,
                            "label": lim.label,
                            "max": lim.max_count,
                        }
                        for lim in caps
                    ],
                },
            )
            return EXIT_OK
        if found:
            fmt.table(
                self.out,
                [_("From"), _("To"), _("Label"), _("Inverse"), _("In use"), _("Hierarchy")],
                [
                    [
                        lab.from_type,
                        lab.to_type,
                        lab.name,
                        lab.inverse or "",
                        str(lab.in_use),
                        _("yes") if lab.hierarchical else "",
                    ]
                    for lab in found
                ],
            )
        else:
            self.say(_("No labels defined."))
        if caps:
            self.say("")
            fmt.table(
                self.out,
                [_("From"), _("To"), _("Label"), _("Limit")],
                [
                    [
                        lim.from_type,
                        lim.to_type,
                        lim.label or _("(any)"),
                        _("many") if lim.max_count is None else str(lim.max_count),
                    ]
                    for lim in caps
                ],
            )
        return EXIT_OK

    def labels_create(self) -> int:
        from rolodex.crm import labels

        a = self.args
        info = labels.create(
            a.from_type.strip().lower(),
            a.to_type.strip().lower(),
            a.name,
            a.inverse,
            hierarchical=a.hierarchical,
        )
        if self.as_json:
            return self.report(
                {
                    "from_type": info.from_type,
                    "to_type": info.to_type,
                    "name": info.name,
                    "inverse": info.inverse,
                    "hierarchical": info.hierarchical,
                }
            )
        if info.hierarchical:
            self.say(
                _(
                    "created the hierarchical label {name}/{inverse} for {a} -> {b} "
                    "(a {b} has one {name} at most)"
                ).format(name=info.name, inverse=info.inverse, a=info.from_type, b=info.to_type)
            )
        elif info.inverse:
            self.say(
                _("created the paired label {name}/{inverse} for {a} -> {b}").format(
                    name=info.name, inverse=info.inverse, a=info.from_type, b=info.to_type
                )
            )
        else:
            self.say(
                _("created the label {name} for {a} -> {b}").format(
                    name=info.name, a=info.from_type, b=info.to_type
                )
            )
        return EXIT_OK

    def labels_delete(self) -> int:
        from rolodex.crm import labels

        a = self.args
        from_type, to_type = a.from_type.strip().lower(), a.to_type.strip().lower()
        labels.delete(from_type, to_type, a.name)
        return self.report(
            {"from_type": from_type, "to_type": to_type, "name": a.name, "deleted": True},
            _("deleted the label {name} for {a} -> {b}").format(
                name=a.name, a=a.from_type, b=a.to_type
            ),
        )

    def labels_limit(self) -> int:
        from rolodex.crm import limits

        a = self.args
        maximum = limits.parse_max(a.max)
        info = limits.set_limit(
            a.from_type.strip().lower(), a.to_type.strip().lower(), maximum, a.label
        )
        if self.as_json:
            return self.report(
                {
                    "from_type": info.from_type,
                    "to_type": info.to_type,
                    "label": info.label,
                    "max": maximum,
                }
            )
        what = _("'{label}' associations").format(label=info.label) if info.label else info.to_type
        if maximum is None:
            self.say(
                _("a {a} may now have any number of {what}").format(a=info.from_type, what=what)
            )
        else:
            self.say(
                _(
                    "a {a} may now have at most {n} {what} (records already over keep theirs)"
                ).format(a=info.from_type, n=maximum, what=what)
            )
        return EXIT_OK

    def labels_usage(self) -> int:
        from rolodex.crm import limits, records

        fmt = cli_format
        report = limits.usage_report()
        if self.args.format == "json":
            fmt.write_json(
                self.out,
                [
                    {
                        "ref": records.ref_of(u.record_type, u.record_id),
                        "name": u.name,
                        "to_type": u.limit.to_type,
                        "label": u.limit.label,
                        "used": u.used,
                        "max": u.limit.max_count,
                        "over": u.over,
                    }
                    for u in report
                ],
            )
            return EXIT_OK
        if not report:
            self.say(_("No record is over or near (>= 80%) a limit."))
            return EXIT_OK
        fmt.table(
            self.out,
            [_("REF"), _("Name"), _("Of"), _("Used"), _("Limit"), _("State")],
            [
                [
                    records.ref_of(u.record_type, u.record_id),
                    u.name,
                    u.limit.label or u.limit.to_type,
                    str(u.used),
                    str(u.limit.max_count),
                    _("over") if u.over else _("near"),
                ]
                for u in report
            ],
        )
        return EXIT_OK

    # -- objects

    def cmd_objects(self) -> int:
        handler = getattr(self, "objects_" + self.args.objects_command)
        return int(handler())

    def objects_list(self) -> int:
        from rolodex.crm import objects

        fmt = cli_format
        types = objects.all_types()
        if self.as_json:
            return self.report([_object_json(t) for t in types])
        fmt.table(
            self.out,
            [_("Key"), _("Singular"), _("Plural"), _("Kind"), _("Properties")],
            [
                [
                    t.key,
                    t.singular,
                    t.plural,
                    t.kind,
                    ", ".join(f"{p.key}:{p.kind}" for p in t.properties),
                ]
                for t in types
            ],
        )
        return EXIT_OK

    def objects_create(self) -> int:
        from rolodex.crm import objects
        from rolodex.crm.errors import InvalidValue

        props = []
        for spec in self.args.property:
            key, sep, kind = spec.partition(":")
            if not key.strip():
                raise InvalidValue(_("'{spec}' is not KEY:KIND").format(spec=spec))
            props.append((key.strip(), (kind.strip() or "text") if sep else "text"))
        info = objects.create_custom_object(
            self.args.key.strip(), self.args.singular, self.args.plural, props, self.args.display
        )
        if self.as_json:
            return self.report(_object_json(info))
        self.say(
            _(
                "created the object {key} ({plural}); add records with: rolodex add {key} {prop}=..."
            ).format(key=info.key, plural=info.plural, prop=info.display_property)
        )
        return EXIT_OK

    # -- check

    def cmd_check(self) -> int:
        from rolodex.crm import check

        fmt = cli_format
        report = check.run()
        if self.args.format == "json":
            fmt.write_json(
                self.out,
                {
                    "ok": report.ok,
                    "checked_associations": report.checked_associations,
                    "violations": report.violations,
                    "over_limit": report.over_limit,
                },
            )
        else:
            for violation in report.violations:
                self.say(_("violation: {text}").format(text=fmt.one_line(violation)))
            for warning in report.over_limit:
                self.say(
                    _("warning: {text} (a lowered limit is not retroactive)").format(
                        text=fmt.one_line(warning)
                    )
                )
            if report.ok:
                self.say(
                    _("ok: {n} associations checked, every invariant holds").format(
                        n=report.checked_associations
                    )
                )
            else:
                self.say(
                    _("{v} violations in {n} associations").format(
                        v=len(report.violations), n=report.checked_associations
                    )
                )
        return EXIT_OK if report.ok else EXIT_CHECK_FAILED

    # -- hooks into other parts

    def cmd_import(self) -> int:
        if getattr(self.args, "list", False):
            from rolodex.cli_imports import list_command

            return list_command(self.out, self.args.format == "json")
        if getattr(self.args, "revert", None):
            from rolodex.cli_imports import revert_command

            return revert_command(self.args.revert, self.out, self.err, self.args.format == "json")
        func = _hook("rolodex.io.commands", "import_command")
        return int(func(self.args, self.out, self.err))

    def cmd_export(self) -> int:
        func = _hook("rolodex.io.commands", "export_command")
        return int(func(self.args, self.out, self.err))

    def cmd_seed(self) -> int:
        func = _hook("rolodex.synth.commands", "seed_command")
        return int(func(self.args.size, self.args.seed, self.out))


# Commands that only read: a database that cannot be written is opened read-only for them.
READ_ONLY = frozenset(
    {
        "show",
        "history",
        "tree",
        "search",
        "list",
        "recommend",
        "export",
        "check",
        "labels list",
        "labels usage",
        "objects list",
        "bin",
        "domains exclude --list",
    }
)


def _command_words(args: argparse.Namespace) -> str:
    words = [args.command]
    sub = getattr(args, f"{args.command}_command", None)
    if sub:
        words.append(sub)
    if args.command == "bin" and args.purge:
        words.append("--purge")
    if args.command == "domains":
        if args.words[:1] == ["exclude"]:
            words.append("exclude")
            if args.list or len(args.words) == 1:
                words.append("--list")
        else:
            words.append("run")
    return " ".join(words)


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rolodex.crm.session import close_database, open_session
    from rolodex.store.models import database

    target: str | None = args.db
    if args.command is None and not _has_terminal():
        raise UsageError(
            _(
                "the app needs a terminal; to script Rolodex use its commands "
                "(rolodex --help lists them)"
            )
        )
    if args.command == "completion":
        return _completion(args.shell, out)
    if args.command == "config":
        return _config(args, out)
    if args.demo and args.command not in ("serve",):
        target = str(_hook("rolodex.synth.demo", "scratch_copy")())
    if args.command is None:
        return _run_tui(target, args.theme, bool(args.demo))
    if args.command == "serve":
        serve = _hook("rolodex.serve", "serve")
        demo = bool(args.demo or args.serve_demo)
        return int(serve(args.host, args.port, args.db, demo, args.public_url))
    if args.command == "init":
        return _init(args, out)
    previous = database.obj
    db = open_session(target, readonly=_command_words(args) in READ_ONLY)
    try:
        runner = Runner(args, out, err)
        handler = getattr(runner, "cmd_" + args.command.replace("-", "_"))
        return int(handler())
    finally:
        close_database(db)
        if previous is not None and previous is not db:
            database.initialize(previous)


def _has_terminal() -> bool:
    """The app draws on a terminal and reads its keys: a pipe or cron has none."""
    if os.environ.get("TEXTUAL_DRIVER"):  # a browser session of `rolodex serve`
        return True
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _completion(shell: str, out: TextIO) -> int:
    """The script that makes the shell ask `rolodex` itself what may come next."""
    import argcomplete

    out.write(argcomplete.shellcode(["rolodex"], shell=shell))
    return EXIT_OK


def _config(args: argparse.Namespace, out: TextIO) -> int:
    from rolodex.ui import config

    directory = config.default_config_dir()
    if args.config_command == "path":
        if args.what == "database":
            from rolodex.store.database import resolve_target
            from rolodex.web.redact import masked

            out.write(masked(resolve_target(args.db)) + "\n")
            return EXIT_OK
        where = {
            "config": config.config_path(directory),
            "themes": config.user_themes_dir(directory),
            "folder": directory,
        }[args.what]
        out.write(f"{where}\n")
        return EXIT_OK
    if args.config_command == "set":
        try:
            key, value = config.set_value(directory, args.key, args.value)
        except config.ConfigError as exc:
            raise UsageError(str(exc)) from exc
        out.write(
            _("{key} = {value} in {path}").format(
                key=key,
                value=json.dumps(value, ensure_ascii=False),
                path=config.config_path(directory),
            )
            + "\n"
        )
        return EXIT_OK
    settings = config.load_settings(directory)
    for problem in settings.problems:
        sys.stderr.write(_("warning: {message}").format(message=problem) + "\n")
    shown = config.shown(settings)
    if args.format == "json":
        cli_format.write_json(
            out,
            {
                "config_file": str(settings.path),
                "themes_folder": str(settings.themes_dir),
                "overridden": dict(settings.overridden),
                "settings": shown,
            },
        )
        return EXIT_OK
    import tomlkit

    out.write("# " + _("config file: {path}").format(path=settings.path) + "\n")
    out.write("# " + _("your themes: {path}").format(path=settings.themes_dir) + "\n")
    for key, variable in settings.overridden.items():
        out.write("# " + _("{key} comes from {variable}").format(key=key, variable=variable) + "\n")
    out.write(tomlkit.dumps(shown))
    return EXIT_OK


def _init(args: argparse.Namespace, out: TextIO) -> int:
    from rolodex.crm.session import close_database, open_session

    path = Path(args.path)
    if args.shared:
        _hook("rolodex.store.shared", "init_shared")(args.shared, path)
        out.write(
            _("{path} is ready to be shared by the group {group}").format(
                path=path, group=args.shared
            )
            + "\n"
        )
        return EXIT_OK
    db = open_session(str(path), allow_empty=True)
    close_database(db)
    out.write(_("{path} is ready").format(path=path) + "\n")
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        if exc.filename:
            return f"{exc.strerror}: {exc.filename}"
        return str(exc.strerror)
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _peewee_error() -> type[Exception]:
    from peewee import PeeweeException

    return PeeweeException


def _not_utf8(argv: list[str]) -> str | None:
    """The first argument that was not valid UTF-8 (Python keeps its bytes as surrogates)."""
    for word in argv:
        try:
            word.encode("utf-8")
        except UnicodeEncodeError:
            return word
    return None


def _quiet_closed_stdout() -> int:
    """The reader went away (`rolodex export contact | head -1`): stop quietly, as other
    Unix tools do, and keep Python from complaining when it flushes at exit."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def _database_argument(words: list[str]) -> str:
    """The database the command will use, read before anything imports a driver."""
    for index, word in enumerate(words):
        if word == "--db" and index + 1 < len(words):
            return words[index + 1]
        if word.startswith("--db="):
            return word[len("--db=") :]
    return os.environ.get("ROLODEX_DB", "")


def _skip_server_drivers(words: list[str]) -> None:
    """Peewee imports the PostgreSQL drivers when it is imported (30 ms of a command that
    takes 100): a command on a SQLite file makes that import fail fast instead."""
    target = _database_argument(words)
    if target.startswith(("postgres", "cockroach")) or "serve" in words:
        return
    for name in ("psycopg2", "psycopg", "psycopg2cffi"):
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def _wants_json(words: list[str]) -> bool:
    """--format json among the words: errors are then a JSON object too."""
    for index, word in enumerate(words):
        if word == "--format" and words[index + 1 : index + 2] == ["json"]:
            return True
        if word == "--format=json":
            return True
    return False


def _set_language() -> None:
    """The language of config.toml (or ROLODEX_LANGUAGE), before any text is made."""
    from rolodex.ui.config import read_language

    language = read_language()
    if language:
        from rolodex import i18n

        i18n.set_language(language)


class _Ended(SystemExit):
    """SIGTERM or SIGHUP: leave as at the end of a command, so what runs at exit runs."""


def _end_on_signals() -> None:
    def ended(number: int, _frame: object) -> None:
        raise _Ended(128 + number)

    for number in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not in the main thread
            signal.signal(number, ended)


def _run_tui(target: str | None, theme: str | None, demo: bool) -> int:
    """The app, and an end that always comes: when the terminal goes away while the app
    is stopping (a dropped SSH session, a closed tmux), Textual's input thread can stay
    behind reading the dead terminal forever, and the process would never exit."""
    run_app = _hook("rolodex.ui.app", "run_app")

    def before_leaving() -> None:  # a forced end after a signal (rolodex.ui.signals)
        if demo:
            _hook("rolodex.synth.demo", "remove_scratch_copies")()

    try:
        code = int(run_app(target, theme, before_leaving=before_leaving))
    finally:
        # The app's loop put back the default (die at once, the scratch copy left behind);
        # the process is ending anyway, so a late hang-up waits for the cleanup.
        for number in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError, OSError):
                signal.signal(number, signal.SIG_IGN)
    if _threads_linger():
        if demo:
            _hook("rolodex.synth.demo", "remove_scratch_copies")()
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    return code


def _threads_linger(wait: float = 2.0) -> bool:
    """Whether threads other than this one are still running after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            return True
    return False


def _types_help(words: list[str]) -> str | None:
    """For `rolodex add --help`: every object type and its properties, read from the
    database the command would use (custom objects included), or said to be missing."""
    if "add" not in words or not ({"-h", "--help"} & set(words)):
        return None
    from rolodex.crm import objects
    from rolodex.crm.session import close_database, open_session

    target = _database_argument(words) or None
    try:
        if "--demo" in words:
            target = str(_hook("rolodex.synth.demo", "scratch_copy")())
        db = open_session(target, readonly=True)
    except Exception as exc:  # no database: the standard types only
        import textwrap

        return textwrap.fill(
            _(
                "The types and their properties are read from the database, which cannot be "
                "opened now ({error}). Standard types: contact (first_name, last_name, email, "
                "phone, job_title), company (name, domain, industry, city, country), deal (name, "
                "amount, stage, close_date), ticket (subject, status, priority); activities: "
                "note, email, call, meeting, task (rolodex log)."
            ).format(error=_one_line(exc)),
            width=78,
        )
    try:
        lines = [
            _("Types and their properties (in {where}):").format(where=target or "$ROLODEX_DB")
        ]
        for info in objects.all_types():
            properties = ", ".join(f"{p.key} ({p.kind})" for p in info.properties)
            kind = {"custom": _("custom object"), "activity": _("activity")}.get(info.kind, "")
            suffix = f" [{kind}]" if kind else ""
            lines.append(f"  {info.key}{suffix}: {properties}")
        lines.append(_("Example: rolodex add contact first_name=Ana email=ana@example.com"))
        return "\n".join(lines)
    finally:
        close_database(db)


def main(argv: list[str] | None = None) -> int:
    """The `rolodex` console script: errors are one `rolodex: error: ...` line on stderr
    (with --format json a JSON object ``{"error": {"code", "message"}}``) and exit 2;
    `check` exits 1 when an invariant is violated; a closed stdout ends quietly with 0."""
    from rolodex.cli_output import SafeStream
    from rolodex.crm.errors import RolodexError
    from rolodex.store.errors import DatabaseOpenError

    for stream in (sys.stdout, sys.stderr):
        # A terminal or pipe that cannot encode a name gets an escape, never a crash
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    out = cast(TextIO, SafeStream(sys.stdout))
    err = cast(TextIO, SafeStream(sys.stderr))
    words = sys.argv[1:] if argv is None else argv
    as_json = _wants_json(words)

    def fail(message: str, code: int = EXIT_ERROR, kind: str = "ERROR") -> int:
        try:
            if as_json:
                cli_format.write_json(err, {"error": {"code": kind, "message": message}})
            else:
                err.write(_("rolodex: error: {message}").format(message=message) + "\n")
            err.flush()
        except OSError:
            pass
        return code

    if argv is None:
        _skip_server_drivers(words)
        _end_on_signals()
    _set_language()
    bad = _not_utf8(words)
    if bad is not None:
        return fail(
            _("the argument '{word}' is not valid UTF-8").format(
                word=bad.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            ),
            kind="USAGE",
        )
    try:
        parser = build_parser(_types_help(words))
    except (RolodexError, DatabaseOpenError, Unavailable) as exc:
        return fail(_one_line(exc))
    if "_ARGCOMPLETE" in os.environ:  # the shell asks what may come next (completion)
        import argcomplete

        argcomplete.autocomplete(parser)
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        return fail(str(exc), kind="USAGE")
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        code = _dispatch(args, out, err)
        out.flush()
        return code
    except BrokenPipeError:
        return _quiet_closed_stdout()
    except RolodexError as exc:
        return fail(_one_line(exc), kind=exc.code)
    except DatabaseOpenError as exc:
        return fail(_one_line(exc), kind="DATABASE")
    except UsageError as exc:
        return fail(_one_line(exc), kind="USAGE")
    except Unavailable as exc:
        return fail(_one_line(exc), kind="UNAVAILABLE")
    except (_peewee_error(), sqlite3.Error) as exc:
        from rolodex.store.database import explain
        from rolodex.store.transactions import real_cause

        return fail(explain(real_cause(exc)), kind="DATABASE")
    except OSError as exc:
        return fail(_one_line(exc), kind="OS_ERROR")
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):
            err.write("\n")
        return 130
    except Exception as exc:
        if os.environ.get("ROLODEX_DEBUG"):
            raise
        return fail(
            _("unexpected {kind}: {error} (set ROLODEX_DEBUG=1 for details)").format(
                kind=type(exc).__name__, error=_one_line(exc)
            ),
            kind="UNEXPECTED",
        )
