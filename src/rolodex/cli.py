"""The `rolodex` command line: a thin, scriptable layer over crm/ (design section 4).

Every change goes through crm/ with an API context; errors are one line on
stderr and exit code 2; `check` exits 1 when an invariant is violated.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sqlite3
import sys
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


def build_parser() -> argparse.ArgumentParser:
    from rolodex.crm import moments

    parser = _Parser(
        prog="rolodex",
        description=_("A keyboard-driven terminal CRM built around associations."),
        epilog=_(
            "REF names a record: TYPE:ID (contact:42), a contact's email or a company's domain. "
            "Without a command, the app opens."
        ),
    )
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help=_("database file or URL (default: $ROLODEX_DB, else your per-user database)"),
    )
    parser.add_argument(
        "--demo", action="store_true", help=_("work on a scratch copy of the demo database")
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, **kwargs)

    def fmt(p: argparse.ArgumentParser, choices: tuple[str, ...], default: str) -> None:
        p.add_argument("--format", choices=choices, default=default, help=_("output format"))

    p = command("add", _("create a record and print its REF"))
    p.add_argument("type", metavar="TYPE")
    p.add_argument("values", metavar="KEY=VALUE", nargs="*")

    p = command("update", _("change a record's properties (an empty value clears one)"))
    p.add_argument("ref", metavar="REF")
    p.add_argument("values", metavar="KEY=VALUE", nargs="+")
    p.add_argument(
        "--version",
        type=int,
        metavar="N",
        help=_("fail unless the record is still at this version (no lost update)"),
    )

    p = command("show", _("a record and its associations"))
    p.add_argument("ref", metavar="REF")
    fmt(p, ("text", "json"), "text")
    p.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        help=_("associations as they stood at this moment: {moment}").format(
            moment=moments.help_text()
        ),
    )

    p = command("associate", _("associate two records: the first is the second's LABEL"))
    p.add_argument("src", metavar="REF")
    p.add_argument("dst", metavar="REF")
    p.add_argument(
        "--label", action="append", default=[], metavar="NAME", help=_("repeat for several")
    )
    p.add_argument(
        "--primary", action="store_true", help=_("make the second record the first's primary")
    )

    p = command("dissociate", _("remove an association, or only one of its labels"))
    p.add_argument("src", metavar="REF")
    p.add_argument("dst", metavar="REF")
    p.add_argument("--label", metavar="NAME", help=_("remove only this label"))
    p.add_argument(
        "--new-primary",
        metavar="REF",
        help=_("the new primary company when the removed one was the primary"),
    )

    p = command("set-primary", _("make an associated company the record's primary company"))
    p.add_argument("ref", metavar="REF")
    p.add_argument("company", metavar="COMPANY_REF")

    p = command("delete", _("move a record to the recycle bin"))
    p.add_argument("ref", metavar="REF")
    p = command("restore", _("bring a record back from the recycle bin"))
    p.add_argument("ref", metavar="REF")
    p = command("merge", _("merge OTHER_REF into KEEP_REF"))
    p.add_argument("keep", metavar="KEEP_REF")
    p.add_argument("other", metavar="OTHER_REF")
    p = command("bin", _("list the recycle bin"))
    p.add_argument(
        "--purge",
        action="store_true",
        help=_(
            "forget records deleted more than 90 days ago now (this also runs by itself once a day)"
        ),
    )

    p = command("history", _("a record's association history, newest first"))
    p.add_argument("ref", metavar="REF")
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
    p.add_argument("history_id", metavar="HISTORY_ID", type=_history_id)

    p = command(
        "tree",
        _("the hierarchy around a record (a company group, an org chart)"),
        epilog=_(
            "From the record's topmost parent down, each record with its contacts and open "
            "deals, summed over everything below it. --depth N lists N levels below the top "
            "(the way down to REF always)."
        ),
    )
    p.add_argument("ref", metavar="REF")
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
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--type", metavar="TYPE", action="append", help=_("only this type"))
    p.add_argument("--limit", type=int, default=20, metavar="N")
    fmt(p, ("text", "json"), "text")

    p = command("log", _("log an activity on a record"))
    p.add_argument("ref", metavar="REF")
    p.add_argument("activity", metavar="ACTIVITY_TYPE")
    p.add_argument("values", metavar="KEY=VALUE", nargs="*")

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
    fmt(p, ("text", "json"), "text")

    p = command("recommend", _("records worth associating with REF"))
    p.add_argument("ref", metavar="REF")
    p.add_argument("type", metavar="TYPE")
    p.add_argument("--limit", type=int, default=8, metavar="N")

    labels = command("labels", _("list, create and delete labels; set limits"))
    lsub = labels.add_subparsers(dest="labels_command", metavar="ACTION")
    lsub.required = True
    p = lsub.add_parser("list", help=_("labels and limits"))
    p.add_argument("pair", metavar="TYPE", nargs="*", help=_("FROM_TYPE TO_TYPE"))
    fmt(p, ("text", "json"), "text")
    p = lsub.add_parser("create", help=_("define a label: FROM is TO's NAME"))
    p.add_argument("from_type", metavar="FROM_TYPE")
    p.add_argument("to_type", metavar="TO_TYPE")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--inverse", metavar="NAME", help=_("the word seen from the other side"))
    p.add_argument(
        "--hierarchical",
        action="store_true",
        help=_(
            "the records form trees: FROM is the parent (Manager / Employee), "
            "a record has one at most; see rolodex tree"
        ),
    )
    p = lsub.add_parser("delete", help=_("delete an unused label"))
    p.add_argument("from_type", metavar="FROM_TYPE")
    p.add_argument("to_type", metavar="TO_TYPE")
    p.add_argument("name", metavar="NAME")
    p = lsub.add_parser("limit", help=_("cap how many TO records one FROM record may have"))
    p.add_argument("from_type", metavar="FROM_TYPE")
    p.add_argument("to_type", metavar="TO_TYPE")
    p.add_argument("max", metavar="N|many")
    p.add_argument("--label", metavar="NAME", help=_("count only associations with this label"))
    p = lsub.add_parser("usage", help=_("records over or near (>= 80%%) a limit"))
    fmt(p, ("text", "json"), "text")

    objs = command("objects", _("list and create custom objects"))
    osub = objs.add_subparsers(dest="objects_command", metavar="ACTION")
    osub.required = True
    p = osub.add_parser("list", help=_("object types and their properties"))
    fmt(p, ("text", "json"), "text")
    p = osub.add_parser("create", help=_("define a custom object"))
    p.add_argument("key", metavar="KEY")
    p.add_argument("--singular", required=True, metavar="NAME")
    p.add_argument("--plural", required=True, metavar="NAME")
    p.add_argument("--property", action="append", default=[], metavar="KEY:KIND")
    p.add_argument("--display", metavar="KEY", help=_("the property that names a record"))

    p = command("check", _("verify the invariants; exit 1 when one is violated"))
    fmt(p, ("text", "json"), "text")

    p = command("import", _("import CSV files"))
    p.add_argument("files", metavar="FILE", nargs="*")
    p.add_argument("--dry-run", action="store_true", help=_("show every match, write nothing"))
    p.add_argument("--errors", metavar="FILE", help=_("write rejected rows to this file"))
    p.add_argument("--mode", choices=("create", "update", "upsert"), default="upsert")
    p.add_argument("--create-labels", action="store_true")
    p.add_argument("--revert", metavar="BATCH", help=_("undo an earlier import"))

    p = command("export", _("export the records of one object"))
    p.add_argument("type", metavar="TYPE")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--format", choices=("csv", "xlsx"), default="csv")

    p = command("seed", _("fill a database with synthetic data"))
    p.add_argument("--size", choices=("demo", "10k", "100k", "1m"), required=True)
    p.add_argument("--seed", type=int, default=42, metavar="N")

    p = command("serve", _("the app in a web browser, for whoever holds the printed URL"))
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
    p.add_argument("path", metavar="PATH")
    p.add_argument("--shared", metavar="GROUP", help=_("the Unix group that shares it"))
    return parser


def _history_id(text: str) -> int:
    word = text.strip().lstrip("#")
    if not word.isdigit():
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a history id (the # of `rolodex history`)").format(text=text)
        )
    return int(word)


# ---------------------------------------------------------------- commands


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
        self.say(
            _("updated {ref} (version {version})").format(ref=updated.ref, version=updated.version)
        )
        return EXIT_OK

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
        self.say(_("deleted {ref} (in the recycle bin for 90 days)").format(ref=record.ref))
        return EXIT_OK

    def cmd_restore(self) -> int:
        from rolodex.crm import lifecycle

        record = self.resolve(self.args.ref, include_deleted=True)
        lifecycle.restore(record.id, self.ctx)
        self.say(_("restored {ref}").format(ref=record.ref))
        return EXIT_OK

    def cmd_merge(self) -> int:
        from rolodex.crm import lifecycle

        keep, other = self.resolve(self.args.keep), self.resolve(self.args.other)
        survivor = lifecycle.merge(keep.id, other.id, self.ctx)
        self.say(
            _("merged {other} into {keep}; {other} now resolves to {keep}").format(
                other=other.ref, keep=survivor.ref
            )
        )
        return EXIT_OK

    def cmd_bin(self) -> int:
        from rolodex.crm import lifecycle

        fmt = cli_format
        if self.args.purge:
            purged = lifecycle.purge_expired(self.ctx)
            self.say(
                ngettext(
                    "purged {n} record deleted more than 90 days ago",
                    "purged {n} records deleted more than 90 days ago",
                    purged,
                ).format(n=purged)
            )
            return EXIT_OK
        rows = [
            [view.ref, view.name, fmt.human_utc(view.deleted_at)]
            for view in lifecycle.recycle_bin()
        ]
        if not rows:
            self.say(_("The recycle bin is empty."))
            return EXIT_OK
        fmt.table(self.out, [_("REF"), _("Name"), _("Deleted (UTC)")], rows)
        return EXIT_OK

    # -- associations

    def cmd_associate(self) -> int:
        from rolodex.crm import associations

        src, dst = self.resolve(self.args.src), self.resolve(self.args.dst)
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
        self.say(message.format(id=done.history_id, a=done.a_ref, b=done.b_ref))
        return EXIT_OK

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
        if not found:
            self.say(_("No recommendations for {ref}.").format(ref=record.ref))
            return EXIT_OK
        fmt.table(
            self.out,
            [_("REF"), _("Name"), _("Score"), _("Why")],
            [[r.ref, r.name, f"{r.score:g}", ", ".join(r.reasons)] for r in found],
        )
        return EXIT_OK

    # -- activities and rules

    def cmd_log(self) -> int:
        from rolodex.crm import activities, associations

        record = self.resolve(self.args.ref)
        activity = activities.log(
            record.id, self.args.activity.strip().lower(), self.values(self.args.values), self.ctx
        )
        self.say(
            _("logged {activity} on {record}").format(activity=activity.ref, record=record.ref)
        )
        others = [v.other_ref for v in associations.all_of(activity.id) if v.other_id != record.id]
        if others:
            self.say(_("also associated with: {refs}").format(refs=", ".join(others)))
        return EXIT_OK

    def cmd_domains(self) -> int:
        from rolodex.crm import domains, objects
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
        self.say(_("{n} contacts associated with their company by email domain").format(n=done))
        return EXIT_OK

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
            self.say(
                _("removed from the exclusion list: {domains}").format(
                    domains=", ".join(changed) or "-"
                )
            )
        else:
            changed = domains.add_exclusions(names)
            self.say(
                _("excluded from domain matching: {domains}").format(
                    domains=", ".join(changed) or "-"
                )
            )
        return EXIT_OK

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
        labels.delete(a.from_type.strip().lower(), a.to_type.strip().lower(), a.name)
        self.say(
            _("deleted the label {name} for {a} -> {b}").format(
                name=a.name, a=a.from_type, b=a.to_type
            )
        )
        return EXIT_OK

    def labels_limit(self) -> int:
        from rolodex.crm import limits

        a = self.args
        maximum = limits.parse_max(a.max)
        info = limits.set_limit(
            a.from_type.strip().lower(), a.to_type.strip().lower(), maximum, a.label
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
        if self.args.format == "json":
            fmt.write_json(
                self.out,
                [
                    {
                        "key": t.key,
                        "singular": t.singular,
                        "plural": t.plural,
                        "kind": t.kind,
                        "display": t.display_property,
                        "properties": [{"key": p.key, "kind": p.kind} for p in t.properties],
                    }
                    for t in types
                ],
            )
            return EXIT_OK
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
        func = _hook("rolodex.io.commands", "import_command")
        if not self.args.files and not self.args.revert:
            raise UsageError(_("import needs at least one FILE (or --revert BATCH)"))
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
    if args.demo and args.command not in ("serve",):
        target = str(_hook("rolodex.synth.demo", "scratch_copy")())
    if args.command is None:
        return int(_hook("rolodex.ui.app", "run_app")(target))
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


def main(argv: list[str] | None = None) -> int:
    """The `rolodex` console script: errors are one `rolodex: error: ...` line on stderr
    and exit 2; `check` exits 1 when an invariant is violated; a closed stdout ends
    quietly with 0."""
    from rolodex.cli_output import SafeStream
    from rolodex.crm.errors import RolodexError
    from rolodex.store.errors import DatabaseOpenError

    for stream in (sys.stdout, sys.stderr):
        # A terminal or pipe that cannot encode a name gets an escape, never a crash
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    out = cast(TextIO, SafeStream(sys.stdout))
    err = cast(TextIO, SafeStream(sys.stderr))

    def fail(message: str, code: int = EXIT_ERROR) -> int:
        try:
            err.write(_("rolodex: error: {message}").format(message=message) + "\n")
            err.flush()
        except OSError:
            pass
        return code

    words = sys.argv[1:] if argv is None else argv
    if argv is None:
        _skip_server_drivers(words)
    bad = _not_utf8(words)
    if bad is not None:
        return fail(
            _("the argument '{word}' is not valid UTF-8").format(
                word=bad.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            )
        )
    parser = build_parser()
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        return fail(str(exc))
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        code = _dispatch(args, out, err)
        out.flush()
        return code
    except BrokenPipeError:
        return _quiet_closed_stdout()
    except (RolodexError, DatabaseOpenError, UsageError, Unavailable) as exc:
        return fail(_one_line(exc))
    except (_peewee_error(), sqlite3.Error) as exc:
        from rolodex.store.database import explain
        from rolodex.store.transactions import real_cause

        return fail(explain(real_cause(exc)))
    except OSError as exc:
        return fail(_one_line(exc))
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
            )
        )
