"""A companies file's Parent Company ID column builds the company hierarchy: parents may
come after their children, a second parent or a cycle rejects the row (the rest imports),
export writes the column back, and revert removes the links."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rolodex.crm import associations, hierarchy, labels, objects, records
from rolodex.crm.check import run as check_run
from rolodex.crm.context import api
from rolodex.io import parents
from rolodex.store.database import open_database
from tests.io.conftest import import_id, run_export, run_import

GROUP = (
    "Record ID,Company name,Company Domain Name,Parent Company ID\n"
    "301,Nordic Sales AB,sales.nordic.se,201\n"  # a grandchild before its parent
    "302,Nordic Support AB,support.nordic.se,201\n"
    "201,Nordic Holding AB,nordic.se,101\n"
    "202,Baltic Holding OÜ,baltic.ee,101\n"
    "101,Group plc,group.com,\n"  # the top, last
)


def _id(domain: str) -> int:
    return records.resolve(domain).id


def _tree_of(domain: str) -> dict[str, str | None]:
    """Each company of the tree -> its parent's domain (the top: None)."""
    found = hierarchy.tree(_id(domain), "Parent company")
    domain_of = {n.id: records.get(n.id).properties["domain"] for n in found.nodes()}
    return {domain_of[n.id]: domain_of.get(n.parent) if n.parent else None for n in found.nodes()}


def _parent(domain: str) -> str | None:
    label = parents.required_label()
    found = hierarchy.parents_of(_id(domain), label)
    return records.get(found[0]).properties["domain"] if found else None


def test_a_group_of_three_levels_with_children_before_parents(db, write):
    result = run_import(write("companies.csv", GROUP), source="hubspot")
    assert result.code == 0, result.err + result.out
    assert "rows rejected: 0" in result.out
    assert _tree_of("sales.nordic.se") == {
        "group.com": None,
        "nordic.se": "group.com",
        "baltic.ee": "group.com",
        "sales.nordic.se": "nordic.se",
        "support.nordic.se": "nordic.se",
    }
    # the parent is the label's from side, as `associate PARENT CHILD --label "Parent company"`
    label = parents.required_label()
    assert hierarchy.parents_of(_id("nordic.se"), label) == [_id("group.com")]
    assert check_run().ok


def test_the_parent_in_a_later_file_and_other_header_names(db, write):
    children = write(
        "companies.csv",
        "Record ID,Company name,Company Domain Name,Associated Company IDs (Parent)\n"
        "7,Child AB,child.se,8\n",
    )
    tops = write(
        "accounts.csv",
        "Record ID,Company name,Company Domain Name,parent company record id\n8,Top AB,top.se,\n",
    )
    result = run_import(children, tops)
    assert result.code == 0, result.err + result.out
    assert _parent("child.se") == "top.se"


def test_blank_leaves_the_parent_as_it_is(db, write):
    first = write(
        "companies.csv",
        "Record ID,Company name,Company Domain Name,Parent Company ID\n"
        "1,Top,top.se,\n2,Child,child.se,1\n",
    )
    assert run_import(first).code == 0
    again = write("again.csv", "Record ID,Company name,Parent Company ID\n2,Child renamed,\n")
    result = run_import(again, mode="update")
    assert result.code == 0, result.err + result.out
    assert records.get(_id("child.se")).name == "Child renamed"
    assert _parent("child.se") == "top.se"


def test_a_second_parent_and_a_cycle_are_rejected_the_rest_imports(db, write, tmp_path):
    ctx = api()
    old = records.create("company", {"name": "Old Parent", "domain": "old.se"})
    held = records.create("company", {"name": "Held AB", "domain": "held.se"})
    associations.associate(old.id, held.id, ctx, ["Parent company"])
    errors = str(tmp_path / "errors.csv")
    result = run_import(
        write(
            "companies.csv",
            "Record ID,Company name,Company Domain Name,Parent Company ID\n"
            "1,Alpha AB,alpha.se,2\n"  # waits for Beta
            "2,Beta AB,beta.se,1\n"  # Beta's parent Alpha, Alpha's parent Beta: a cycle
            "3,Gamma AB,gamma.se,\n"
            "4,Held AB,held.se,3\n"  # Held has a parent already
            "5,Delta AB,delta.se,9\n"  # waits for a 9 never imported
            "6,Self AB,self.se,6\n",
        ),
        errors=errors,
    )
    assert result.code != 2, result.err
    assert "Traceback" not in result.err + result.out
    assert "rows read: 6, accepted: 3" in result.out
    with open(errors, encoding="utf-8-sig", newline="") as handle:
        rejected = {row["Record ID"]: row for row in csv.DictReader(handle)}
    assert set(rejected) == {"2", "4", "6"}
    assert rejected["2"]["Error code"] == "HIERARCHY_CONFLICT"
    cycle = rejected["2"]["Error message"]
    assert "cycle" in cycle and "Alpha AB" in cycle and "Beta AB" in cycle
    second = rejected["4"]["Error message"]
    assert "Held AB" in second and "Old Parent" in second and "already has" in second
    assert "Self AB" in rejected["6"]["Error message"]
    # nothing of the rejected rows was written; the rest imported
    assert records.count("company") == 2 + 3  # Old, Held; Alpha, Gamma, Delta
    assert _parent("held.se") == "old.se"
    assert _parent("alpha.se") is None  # still waiting for a Beta
    assert check_run().ok


def test_a_parent_waiting_on_a_company_that_has_one_is_rejected(db, write):
    ctx = api()
    old = records.create("company", {"name": "Old Parent", "domain": "old.se"})
    held = records.create("company", {"name": "Held AB", "domain": "held.se"})
    associations.associate(old.id, held.id, ctx, ["Parent company"])
    result = run_import(
        write(
            "companies.csv",
            "Company name,Company Domain Name,Parent Company ID\nHeld AB,held.se,77\n",
        )
    )
    assert "rows rejected: 1" in result.out
    assert "HIERARCHY_CONFLICT" in result.out + result.err


def test_dry_run_report_and_preview(db, write, tmp_path):
    report = str(tmp_path / "report.csv")
    path = write("companies.csv", GROUP)
    result = run_import(path, dry_run=True, report=report)
    assert result.code == 0, result.err + result.out
    assert records.count("company") == 0
    text = Path(report).read_text(encoding="utf-8-sig")
    assert "Parent company" in text
    from rolodex.io.importer import preview

    shown = dict(preview(path)[0])
    assert shown["Parent Company ID"] == "parent company (its Record ID or REF)"


def test_in_a_contacts_file_the_column_is_left_aside(db, write):
    result = run_import(
        write("contacts.csv", "Email,First Name,Parent Company ID\nana@x.se,Ana,5\n")
    )
    assert result.code == 0, result.err + result.out
    assert records.count("contact") == 1 and records.count("company") == 0


def _fresh(db_url: str, tmp_path: Path):
    from tests import conftest

    objects.invalidate()
    labels.invalidate()
    fresh = (
        conftest._reset_postgres(db_url)
        if conftest.PG_URL
        else open_database(str(tmp_path / "empty.db"))
    )
    objects.invalidate()
    labels.invalidate()
    return fresh


def test_export_writes_the_parent_and_reimports_to_the_same_tree(db, db_url, write, tmp_path):
    assert run_import(write("companies.csv", GROUP), source="hubspot").code == 0
    exported = run_export("company")
    rows = list(csv.DictReader(io.StringIO(exported.out)))
    by_domain = {row["Company Domain Name"]: row for row in rows}
    assert by_domain["nordic.se"]["Parent Company ID"] == f"company:{_id('group.com')}"
    assert by_domain["group.com"]["Parent Company ID"] == ""
    before = _tree_of("group.com")
    # rows of children first: the parents wait, as in any file
    ordered = sorted(rows, key=lambda row: row["Parent Company ID"] == "")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(ordered)
    path = write("export-companies.csv", out.getvalue())
    _fresh(db_url, tmp_path)
    assert records.count("company") == 0
    result = run_import(path)
    assert result.code == 0, result.err + result.out
    assert "rows rejected: 0" in result.out
    assert _tree_of("group.com") == before
    assert check_run().ok


def test_revert_removes_the_parent_links(db, write):
    top = records.create("company", {"name": "Existing Top", "domain": "top.se"})
    child = records.create("company", {"name": "Existing Child", "domain": "child.se"})
    result = run_import(
        write(
            "companies.csv",
            "Company name,Company Domain Name,Parent Company ID\n"
            f"Existing Child,child.se,company:{top.id}\n",
        )
    )
    assert result.code == 0, result.err + result.out
    assert _parent("child.se") == "top.se"
    group = run_import(write("group.csv", GROUP))
    assert group.code == 0
    assert run_import(revert=import_id(result)).code == 0
    assert _parent("child.se") is None
    assert records.get(child.id).name == "Existing Child"
    assert run_import(revert=import_id(group)).code == 0
    assert records.count("company") == 2
    assert not hierarchy.parents_of(child.id, parents.required_label())
