"""Export writes the import shape; export then import into an empty database gives the same data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from rolodex.crm import associations, labels, objects, records
from rolodex.crm.check import run as check_run
from rolodex.crm.context import api
from rolodex.store import raw
from rolodex.store.database import open_database
from tests.io.conftest import made_labels, run_export, run_import, snapshot

TYPES = ("contact", "company", "deal", "ticket")


def _fresh(db_url: str, tmp_path: Path, name: str):
    """An empty, migrated database (on PostgreSQL: the same database, rebuilt)."""
    from tests import conftest

    objects.invalidate()
    labels.invalidate()
    if conftest.PG_URL:
        db = conftest._reset_postgres(db_url)
    else:
        db = open_database(str(tmp_path / name))
    objects.invalidate()
    labels.invalidate()
    return db


def _build(paired: bool) -> None:
    ctx = api()
    labels.create("contact", "company", "Billing contact")
    labels.create("contact", "contact", "Colleague")
    labels.create("deal", "contact", "Decision maker")
    if paired:
        labels.create("contact", "company", "Manager", inverse="Managed company")
        labels.create("contact", "contact", "Boss", inverse="Report")
    acme = records.create(
        "company", {"name": '=HYPERLINK("x")', "domain": "acme.com", "city": "-Malmö"}
    )
    nordic = records.create("company", {"name": "Acme; Nordic: AB", "domain": "acme.se"})
    globex = records.create(
        "company", {"name": "@Globex", "domain": "globex.com", "industry": "'=quoted"}
    )
    ana = records.create(
        "contact", {"first_name": "+Ana", "last_name": "Lind", "email": "ana@acme.com"}
    )
    bo = records.create(
        "contact", {"first_name": "Bo", "email": "bo@acme.com", "job_title": "a\nb"}
    )
    cy = records.create("contact", {"first_name": "Cy [b]", "email": "cy@globex.com"})
    deal = records.create("deal", {"name": "Big", "amount": "-1000.5", "close_date": "2025-02-03"})
    deal2 = records.create("deal", {"name": "Small", "stage": "open"})
    ticket = records.create("ticket", {"subject": "Broken", "status": "open", "priority": "high"})
    associations.associate(ana.id, acme.id, ctx, ["Billing contact"])
    associations.associate(ana.id, nordic.id, ctx, primary=True)  # not the first company
    associations.associate(bo.id, acme.id, ctx)
    associations.associate(cy.id, globex.id, ctx)
    associations.associate(ana.id, bo.id, ctx, ["Colleague"])
    associations.associate(cy.id, deal.id, ctx, ["Decision maker"])
    associations.associate(deal.id, globex.id, ctx)
    associations.associate(deal.id, acme.id, ctx, primary=True)
    associations.associate(deal2.id, ana.id, ctx)
    associations.associate(ticket.id, bo.id, ctx)
    associations.associate(ticket.id, nordic.id, ctx)
    associations.associate(acme.id, nordic.id, ctx)  # company to company
    if paired:
        labels.create("deal", "company", "Pay: er/x\\", inverse="Paid; by")
        labels.create("company", "deal", "Bidder (EU)", inverse="Tender (inverse of x)")
        associations.associate(globex.id, deal.id, ctx, ["Bidder (EU)"])
        associations.associate(deal2.id, globex.id, ctx, ["Pay: er/x\\"])
        associations.associate(bo.id, nordic.id, ctx, ["Manager"])
        associations.associate(cy.id, ana.id, ctx, ["Boss"])


def _definitions() -> list[tuple[str, str, str, str | None]]:
    return sorted(
        (lab.from_type, lab.to_type, lab.name, lab.inverse) for lab in labels.list_labels()
    )


def _export_all(tmp_path: Path, fmt: str) -> dict[str, str]:
    paths = {}
    for type_key in TYPES:
        path = str(tmp_path / f"{type_key}-export.{fmt}")
        result = run_export(type_key, path, fmt)
        assert result.code == 0, result.err
        paths[type_key] = path
    return paths


@pytest.mark.parametrize(
    "order,fmt",
    [
        (("contact", "company", "deal", "ticket"), "csv"),
        (("ticket", "deal", "company", "contact"), "csv"),
        (("company", "ticket", "contact", "deal"), "xlsx"),
        (("deal", "contact", "ticket", "company"), "xlsx"),
    ],
)
def test_round_trip_into_an_empty_database(db, db_url, tmp_path, order, fmt):
    _build(paired=True)
    before = snapshot()
    definitions = _definitions()
    paths = _export_all(tmp_path, fmt)
    _fresh(db_url, tmp_path, "empty.db")
    assert records.count("contact") == 0 and not made_labels()
    for type_key in order:
        result = run_import(paths[type_key], create_labels=True)
        assert result.code == 0, result.err + result.out
    assert snapshot() == before
    assert check_run().ok
    # every label came back defined once, from the same object to the same object, with
    # its name and inverse the same way round, whichever file was imported first
    assert _definitions() == definitions
    assert ("contact", "company", "Manager", "Managed company") in definitions


def test_round_trip_with_paired_labels_defined_in_the_target(db, db_url, tmp_path):
    _build(paired=True)
    before = snapshot()
    paths = _export_all(tmp_path, "csv")
    _fresh(db_url, tmp_path, "target.db")
    labels.create("contact", "company", "Billing contact")
    labels.create("contact", "contact", "Colleague")
    labels.create("deal", "contact", "Decision maker")
    labels.create("contact", "company", "Manager", inverse="Managed company")
    labels.create("contact", "contact", "Boss", inverse="Report")
    labels.create("deal", "company", "Pay: er/x\\", inverse="Paid; by")
    labels.create("company", "deal", "Bidder (EU)", inverse="Tender (inverse of x)")
    for type_key in ("deal", "contact", "ticket", "company"):
        result = run_import(paths[type_key])
        assert result.code == 0, result.err + result.out
    assert snapshot() == before


def test_export_shape_and_formula_neutralising(db, tmp_path):
    _build(paired=False)
    result = run_export("company")
    rows = list(csv.reader(io.StringIO(result.out)))
    header = rows[0]
    assert header[:4] == ["Rolodex REF", "Rolodex database", "Company name", "Company Domain Name"]
    assert "Record ID" not in header  # no company came from another system
    assert "Associated Contact REFs" in header and "Associated Contact Labels" in header
    by_domain = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_domain["acme.com"]["Rolodex REF"] == f"company:{records.resolve('acme.com').id}"
    acme = by_domain["acme.com"]
    assert acme["Company name"] == '\'=HYPERLINK("x")'
    assert acme["City"] == "'-Malmö"
    assert by_domain["globex.com"]["Company name"] == "'@Globex"
    assert by_domain["globex.com"]["Industry"] == "''=quoted"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@"))
    contacts = list(csv.DictReader(io.StringIO(run_export("contact").out)))
    ana = next(r for r in contacts if r["Email"] == "ana@acme.com")
    nordic = records.resolve("acme.se").id
    acme_id = records.resolve("acme.com").id
    assert ana["Associated Company REFs (Primary)"] == f"company:{nordic}"
    assert sorted(ana["Associated Company REFs"].split(";")) == sorted(
        [f"company:{acme_id}", f"company:{nordic}"]
    )
    # Ana is Acme's billing contact; seen from her the label points the other way
    assert ana["Associated Company Labels"] == f"company:{acme_id}: Billing contact (inverse)"


def test_paired_labels_export_both_words_and_escape_separators(db):
    ctx = api()
    labels.create("contact", "company", "Owner: A/B", inverse="Owned; by")
    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    ana = records.create("contact", {"email": "ana@acme.com"})
    associations.associate(ana.id, acme.id, ctx, ["Owner: A/B"])
    contacts = list(csv.DictReader(io.StringIO(run_export("contact").out)))
    # The company is Ana's "Owned; by", the inverse of the label's name: said so, so that
    # --create-labels defines the label from contact to company again, not the other way.
    assert (
        contacts[0]["Associated Company Labels"]
        == f"company:{acme.id}: Owned\\; by (inverse of Owner\\: A\\/B)"
    )
    companies = list(csv.DictReader(io.StringIO(run_export("company").out)))
    assert (
        companies[0]["Associated Contact Labels"]
        == f"contact:{ana.id}: Owner\\: A\\/B / Owned\\; by"
    )


def test_xlsx_cells_are_text_not_formulas(db, tmp_path):
    from openpyxl import load_workbook

    _build(paired=False)
    path = str(tmp_path / "companies.xlsx")
    assert run_export("company", path, "xlsx").code == 0
    sheet = load_workbook(path).worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("x")' in values
    assert all(getattr(c, "data_type", "s") != "f" for row in sheet.iter_rows() for c in row)


def test_export_errors_are_one_line(db, tmp_path):
    result = run_export("spaceship")
    assert result.code == 2 and "unknown object type" in result.err
    result = run_export("contact", str(tmp_path / "missing" / "x.csv"))
    assert result.code == 2 and "x.csv" in result.err
    result = run_export("contact", None, "xlsx")
    assert result.code == 2 and "-o" in result.err


def test_control_characters_survive_an_xlsx_round_trip(db, db_url, tmp_path):
    """An .xlsx cannot hold ESC or BEL: the export writes them as Excel does (_xHHHH_)
    instead of failing, and import reads them back exactly (a literal _x0041_ too)."""
    names = ["st\x1b]52;c;ZWNobw==\x1b\\", "bell\x07", "lit _x0041_ eral", "tab\tand\nline"]
    for name in names:
        records.create("contact", {"first_name": name, "email": f"{len(name)}@x.example"})
    path = str(tmp_path / "contacts.xlsx")
    assert run_export("contact", path, "xlsx").code == 0
    _fresh(db_url, tmp_path, "empty.db")
    result = run_import(path)
    assert result.code == 0, result.err
    stored = [row[0] for row in raw.fetchall("SELECT name FROM record ORDER BY name")]
    assert stored == sorted(names)
