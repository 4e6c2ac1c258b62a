"""Saved views: a named filter of one object, kept in config.toml::

    [views."Swedish contacts"]
    object = "contact"
    filter = "primary.country = Sweden"
    sort = "-created"            # optional: as `rolodex list --sort`

``read_views`` checks the table's shape and the filter's syntax (no database needed);
``listing`` checks its names against the database and gives the view's ``Listing``.
Every problem names the view.
"""

from __future__ import annotations

from dataclasses import dataclass

from rolodex.crm import filter_expr, objects
from rolodex.crm.errors import InvalidValue, NotFound, RolodexError
from rolodex.crm.listing import Listing, statement
from rolodex.i18n import _

FIELDS = ("object", "filter", "sort")


@dataclass(frozen=True)
class SavedView:
    name: str
    object: str  # the object's key as written (singular or plural, any case)
    filter: str
    sort: str = "name"


def read_views(table: object) -> tuple[list[SavedView], list[str]]:
    """The views of a ``[views]`` table, in file order, and a problem for each view
    that cannot be used (that view is left out)."""
    if not isinstance(table, dict):
        return [], [_('[views] must be a table of [views."NAME"] tables')]
    views, problems = [], []
    for name, entry in table.items():
        try:
            views.append(_view(str(name), entry))
        except InvalidValue as exc:
            problems.append(str(exc))
    return views, problems


def _view(name: str, entry: object) -> SavedView:
    def problem(text: str) -> InvalidValue:
        return InvalidValue(_("view '{name}': {problem}").format(name=name, problem=text))

    if not isinstance(entry, dict):
        raise problem(_('needs object = "..." and filter = "..."'))
    unknown = [key for key in entry if key not in FIELDS]
    if unknown:
        raise problem(
            _("unknown setting '{key}' (settings: {keys})").format(
                key=unknown[0], keys=", ".join(FIELDS)
            )
        )
    values = {key: entry.get(key, "") for key in FIELDS}
    if not all(isinstance(value, str) for value in values.values()):
        raise problem(_("object, filter and sort must be texts"))
    if not values["object"].strip():
        raise problem(_('needs object = "..." (such as "contact")'))
    if values["filter"].strip():
        try:
            filter_expr.parse(values["filter"])
        except InvalidValue as exc:
            raise problem(str(exc)) from exc
    return SavedView(
        name, values["object"].strip(), values["filter"], values["sort"].strip() or "name"
    )


def find(views: list[SavedView], name: str) -> SavedView:
    """The view called ``name`` (case ignored)."""
    wanted = name.strip().casefold()
    for view in views:
        if view.name.casefold() == wanted:
            return view
    known = ", ".join(view.name for view in views) or _("none saved")
    raise NotFound(_("no view '{name}' (views: {known})").format(name=name, known=known))


def object_of(view: SavedView) -> objects.ObjectInfo:
    try:
        return filter_expr.find_object(view.object)
    except RolodexError as exc:
        raise InvalidValue(
            _("view '{name}': unknown object '{object}'").format(name=view.name, object=view.object)
        ) from exc


def listing(view: SavedView, **options: object) -> Listing:
    """The view's records as a ``Listing`` (``options``: its other fields, such as limit)."""
    info = object_of(view)
    try:
        query = Listing(
            info,
            filter_expr.conditions(info, view.filter),
            sort=view.sort,
            **options,  # type: ignore[arg-type]
        )
        statement(query)  # an unknown sort property is reported here, with the view's name
    except RolodexError as exc:
        raise InvalidValue(
            _("view '{name}': {problem}").format(name=view.name, problem=exc)
        ) from exc
    return query


def problems(views: list[SavedView]) -> list[str]:
    """What is wrong with each view against this database (unknown objects, properties,
    labels or records), one line each."""
    out = []
    for view in views:
        try:
            listing(view)
        except RolodexError as exc:
            out.append(str(exc))
    return out
