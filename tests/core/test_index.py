"""Index pages read by keyset in both directions: after a cursor, before one, and the last
page, for every sort and with the name filter; the window of the TUI index depends on it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolodex.crm import index, lifecycle, objects, records
from rolodex.crm.errors import InvalidValue

COLUMN_SORTS = ["prop:job_title", "-prop:job_title", "assoc:company", "-assoc:company"]
COLUMN_SORTS += ["primary", "-primary"]
SORTS = list(index.SORTS) + COLUMN_SORTS
FILTERS = ["", "a", "Same"]
TWINS = 7  # records with the same name: ties are broken by id, across page boundaries


@pytest.fixture
def contacts(db):  # type: ignore[no-untyped-def]
    """About 1,500 synthetic contacts (many sharing first names), plus seven twins."""
    from rolodex.synth import bulk

    bulk.load(3000, 7, dt.datetime(2026, 3, 1))
    objects.invalidate()
    for _n in range(TWINS):
        records.create("contact", {"first_name": "Same", "last_name": "Name"})
    return db


def whole(sort: str, text: str = "") -> list[int]:
    """The list read in one go."""
    found = index.page("contact", sort=sort, filter_text=text, limit=100_000)
    assert found.after is None and found.before is None
    return [row.id for row in found.rows]


def ids(page: index.IndexPage) -> list[int]:
    return [row.id for row in page.rows]


@pytest.mark.parametrize("text", FILTERS)
@pytest.mark.parametrize("sort", SORTS)
def test_paging_forward_and_backward_give_the_whole_list(contacts, sort: str, text: str) -> None:
    expected = whole(sort, text)
    assert len(expected) == index.total("contact", text) > 0
    if text == "":
        assert len(expected) > 1000

    forward: list[int] = []
    page = index.page("contact", sort=sort, filter_text=text, limit=97)
    assert page.before is None  # the first page: nothing precedes it
    forward += ids(page)
    while page.after is not None:
        page = index.page("contact", sort=sort, filter_text=text, limit=97, after=page.after)
        forward += ids(page)
    assert forward == expected

    backward: list[int] = []
    page = index.page("contact", sort=sort, filter_text=text, limit=97, last=True)
    assert page.after is None  # the last page: nothing follows it
    backward = ids(page)
    while page.before is not None:
        page = index.page("contact", sort=sort, filter_text=text, limit=97, before=page.before)
        backward = ids(page) + backward
    assert backward == expected


@pytest.mark.parametrize("sort", SORTS)
def test_twins_are_ordered_by_id_across_page_boundaries(contacts, sort: str) -> None:
    expected = whole(sort, "Same Name")
    assert len(expected) == TWINS
    assert expected == sorted(expected, reverse=sort.startswith("-"))
    # Pages of two: every boundary falls between records of the same name.
    page = index.page("contact", sort=sort, filter_text="same name", limit=2, last=True)
    seen = ids(page)
    while page.before is not None:
        page = index.page(
            "contact", sort=sort, filter_text="same name", limit=2, before=page.before
        )
        seen = ids(page) + seen
    assert seen == expected


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sort=st.sampled_from(SORTS),
    text=st.sampled_from(FILTERS),
    where=st.floats(min_value=0, max_value=1),
    limit=st.integers(min_value=1, max_value=150),
)
def test_a_page_before_any_cursor_then_after_gives_back_the_same_rows(
    contacts, sort: str, text: str, where: float, limit: int
) -> None:
    expected = whole(sort, text)
    at = min(int(where * len(expected)), len(expected) - 1)
    row = index.page("contact", sort=sort, filter_text=text, limit=100_000).rows[at]
    cursor = row.cursor(sort)

    before = index.page("contact", sort=sort, filter_text=text, limit=limit, before=cursor)
    assert ids(before) == expected[max(0, at - limit) : at]
    assert (before.before is not None) == (at > limit)
    after = index.page("contact", sort=sort, filter_text=text, limit=limit, after=cursor)
    assert ids(after) == expected[at + 1 : at + 1 + limit]
    assert (after.after is not None) == (at + 1 + limit < len(expected))

    if before.rows:
        # Back again: the rows after the one preceding the page are the page itself...
        again = index.page(
            "contact",
            sort=sort,
            filter_text=text,
            limit=limit,
            after=index.start_at(before.rows[0], sort),
        )
        start = at - len(before.rows)
        assert ids(again) == expected[start : start + limit]
        assert ids(again)[: len(before.rows)] == ids(before)
        # ...and its "after" cursor leads back to the cursor's row.
        assert before.after is not None
        onward = index.page("contact", sort=sort, filter_text=text, limit=1, after=before.after)
        assert ids(onward) == [row.id]
    if after.rows:
        # The page before the next page's first row ends with the cursor's row.
        assert after.before is not None
        prior = index.page("contact", sort=sort, filter_text=text, limit=limit, before=after.before)
        assert ids(prior)[-1] == row.id
        assert ids(prior) == expected[max(0, at + 1 - limit) : at + 1]


@pytest.mark.parametrize("sort", SORTS)
def test_the_last_page_is_the_end_of_the_list(contacts, sort: str) -> None:
    expected = whole(sort)
    last = index.page("contact", sort=sort, last=True, associated=["company"])
    assert ids(last) == expected[-index.PAGE_SIZE :]
    assert last.after is None and last.before == last.rows[0].cursor(sort)
    # Counts are read for a page read backwards as for one read forwards.
    forward = index.page(
        "contact", sort=sort, after=last.before, associated=["company"], primary_company=True
    )
    assert [r.counts for r in forward.rows] == [r.counts for r in last.rows[1:]]


def test_start_at_starts_with_the_row_even_when_it_is_gone(contacts, ctx) -> None:
    for sort in SORTS:
        expected = whole(sort)
        rows = index.page("contact", sort=sort, limit=100_000).rows
        row = rows[500]
        page = index.page("contact", sort=sort, after=index.start_at(row, sort), limit=3)
        assert ids(page) == expected[500:503]
    gone = index.page("contact", sort="name", limit=100_000).rows[500]
    lifecycle.delete(gone.id, ctx)
    page = index.page("contact", sort="name", after=index.start_at(gone, "name"), limit=3)
    assert ids(page) == whole("name")[500:503]
    assert gone.id not in ids(page)


def test_a_small_list_has_no_pages_around_it(db) -> None:
    first = records.create("contact", {"first_name": "Ana"}).id
    second = records.create("contact", {"first_name": "Bo"}).id
    for kwargs in ({}, {"last": True}):
        page = index.page("contact", **kwargs)  # type: ignore[arg-type]
        assert ids(page) == [first, second]
        assert page.after is None and page.before is None
    assert ids(index.page("contact", before=(index.page("contact").rows[0].name_key, first))) == []
    empty = index.page("contact", filter_text="zz", last=True)
    assert empty.rows == [] and empty.after is None and empty.before is None


def test_only_one_direction_at_a_time(db) -> None:
    with pytest.raises(InvalidValue):
        index.page("contact", after=(1,), before=(2,), sort="created")
    with pytest.raises(InvalidValue):
        index.page("contact", before=(2,), last=True, sort="created")


@pytest.mark.parametrize("dense_from", [10, 10**9], ids=["walk the index", "sort the candidates"])
@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_a_filter_reads_the_same_pages_either_way(
    contacts, monkeypatch, sort: str, dense_from: int
) -> None:
    """Names containing the filter (not only starting with it): many matches walk the
    page's index, few are read from the substring index and sorted; the same pages."""
    from rolodex.store import raw

    monkeypatch.setattr(index, "_DENSE", dense_from)
    contact = objects.by_key("contact").id
    rows = raw.fetchall(
        "SELECT id, name_key FROM record WHERE object_type_id = ? AND deleted_at IS NULL "
        "AND merged_into_id IS NULL",
        (contact,),
    )
    inside = [rid for rid, key in rows if "an" in key and not key.startswith("an")]
    assert len(inside) > 30  # matches that only a substring filter finds
    text = "AN"  # any case: names are compared casefolded
    if sort.lstrip("-") == "name":
        everything = sorted((key, rid) for rid, key in rows if "an" in key)
        expected = [rid for _key, rid in everything]
    else:
        expected = sorted(rid for rid, key in rows if "an" in key)
    if sort.startswith("-"):
        expected.reverse()
    seen: list[int] = []
    page = index.page("contact", sort=sort, filter_text=text, limit=13)
    seen += ids(page)
    while page.after is not None:
        page = index.page("contact", sort=sort, filter_text=text, limit=13, after=page.after)
        seen += ids(page)
    assert seen == expected
    assert index.total("contact", text) == len(expected)
    last = index.page("contact", sort=sort, filter_text=text, limit=13, last=True)
    assert ids(last) == expected[-13:]


@pytest.mark.parametrize("dense_from", [10, 10**9], ids=["walk the index", "sort the candidates"])
def test_a_three_letter_filter_finds_a_last_name_either_way(db, monkeypatch, dense_from) -> None:
    """ "berg" finds Björn Berg: through the substring index when matches are few."""
    monkeypatch.setattr(index, "_DENSE", dense_from)
    bjorn = records.create("contact", {"first_name": "Björn", "last_name": "Berg"}).id
    records.create("contact", {"first_name": "Ana", "last_name": "Lind"})
    ana_berg = records.create("contact", {"first_name": "Bergit", "last_name": "Ek"}).id
    for sort in ("name", "created"):
        found = ids(index.page("contact", sort=sort, filter_text="berg"))
        assert sorted(found) == sorted([bjorn, ana_berg])
    assert index.total("contact", "BERG") == 2


def _sorted_by(rows: list[index.IndexRow], sort: str) -> list[int]:
    """The order a column sort promises: by value (blanks last either way), then id."""
    column, descending = sort.lstrip("-"), sort.startswith("-")

    def value(row: index.IndexRow) -> object:
        if column.startswith("prop:"):
            return row.properties.get(column[5:], "").lower()
        if column.startswith("assoc:"):
            return row.counts[column[6:]]
        return row.primary_company[1].casefold() if row.primary_company else ""

    filled = [r for r in rows if value(r) != ""]
    blank = [r for r in rows if value(r) == ""]
    order = sorted(filled, key=lambda r: (value(r), r.id), reverse=descending)
    return [r.id for r in order] + sorted((r.id for r in blank), reverse=descending)


@pytest.mark.parametrize("sort", COLUMN_SORTS)
def test_a_column_sort_orders_by_the_value_with_blanks_last(contacts, sort: str) -> None:
    rows = index.page(
        "contact", sort="name", limit=100_000, associated=["company"], primary_company=True
    ).rows
    assert len({_sorted_by(rows, sort)[0], _sorted_by(rows, sort)[-1]}) == 2
    got = index.page("contact", sort=sort, limit=100_000).rows
    assert [r.id for r in got] == _sorted_by(rows, sort)


def test_a_number_property_sorts_as_a_number(db) -> None:
    for name, amount in (("Nine", "9"), ("Ten", "10"), ("None", ""), ("Half", "0.5")):
        records.create("deal", {"name": name, "stage": "appointmentscheduled", "amount": amount})
    names = [r.name for r in index.page("deal", sort="prop:amount").rows]
    assert names == ["Half", "Nine", "Ten", "None"]
    names = [r.name for r in index.page("deal", sort="-prop:amount").rows]
    assert names == ["Ten", "Nine", "Half", "None"]


def test_an_unknown_column_sort_is_refused(db) -> None:
    for sort in ("prop:nope", "assoc:nope", "bogus"):
        with pytest.raises(InvalidValue):
            index.page("contact", sort=sort)
    with pytest.raises(InvalidValue):
        index.page("company", sort="primary")  # a company has no primary company


@pytest.mark.parametrize("text", ["", "a"])
@pytest.mark.parametrize("sort", COLUMN_SORTS)
def test_the_sorted_ids_are_the_pages_of_a_column_sort(contacts, sort: str, text: str) -> None:
    ids = index.sorted_ids("contact", sort, text)
    assert list(ids) == whole(sort, text)
    page = index.rows_of("contact", ids[200:300], associated=["company"], primary_company=True)
    assert [r.id for r in page] == list(ids[200:300])
    assert all("company" in r.counts for r in page)


def test_rows_of_leaves_out_records_gone_since(contacts, ctx) -> None:
    ids = index.sorted_ids("contact", "-assoc:company")
    lifecycle.delete(ids[1], ctx)
    assert [r.id for r in index.rows_of("contact", ids[:3])] == [ids[0], ids[2]]
