"""The batched path gives what the rules give; the real `rolodex` command runs import and export."""

from __future__ import annotations

from rolodex.crm import associations, history, records
from rolodex.crm.check import run as check_run
from rolodex.store.models import History
from tests.io.conftest import import_id, run_import

COMPANIES = "Record ID,Company name,Company Domain Name\n1,Acme,acme.com\n2,Globex,globex.com\n"


def test_batched_plain_links_follow_the_primary_rule(db, write, ctx):
    run_import(write("companies.csv", COMPANIES))
    globex = records.resolve("globex.com").id
    had = records.create("contact", {"email": "had@x.com"})
    associations.associate(had.id, globex, ctx)
    rows = "".join(f"{i},p{i}@x.com,1;2\n" for i in range(10, 40))
    result = run_import(
        write(
            "contacts.csv",
            "Record ID,Email,Associated Company IDs\n" + rows + "99,had@x.com,1;2\n",
        )
    )
    assert result.code == 0, result.err
    assert "associations created: 61" in result.out
    acme = records.resolve("acme.com").id
    for i in range(10, 40):
        contact = records.resolve(f"p{i}@x.com").id
        assert associations.primary_company(contact) == acme  # the first company listed
        assert associations.counts(contact) == {"company": 2}
    assert associations.primary_company(had.id) == globex  # already had one: kept
    batch = import_id(result)
    created = History.select().where(History.batch == batch)
    assert created.count() == 61
    assert {(h.source, h.action) for h in created} == {("Import", "created")}
    entries = history.record_history(acme)
    assert len(entries) == 31 and entries[0].source == "Import"
    assert check_run().ok


def test_same_pair_twice_in_one_import_is_one_association(db, write):
    run_import(write("companies.csv", COMPANIES))
    result = run_import(
        write("a.csv", "Email,Associated Company IDs\nana@x.com,1;1\n"),
        write("b.csv", "Email,Associated Company IDs\nana@x.com,1\n"),
    )
    assert "associations created: 1" in result.out
    assert associations.counts(records.resolve("ana@x.com").id) == {"company": 1}
    assert check_run().ok


def test_the_rolodex_command(db, db_url, write, tmp_path, capsys):
    from rolodex.cli import main

    path = write("contacts.csv", "First Name,Email\nAna,ana@x.com\n")
    capsys.readouterr()
    assert main(["--db", db_url, "import", path, "--dry-run"]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert records.count("contact") == 0
    assert main(["--db", db_url, "import", path]) == 0
    out = capsys.readouterr().out
    batch = next(w for w in out.split() if w.startswith("import-"))
    assert records.count("contact") == 1
    target = str(tmp_path / "out.xlsx")
    assert main(["--db", db_url, "export", "contact", "-o", target, "--format", "xlsx"]) == 0
    assert "exported 1 record to" in capsys.readouterr().out
    assert main(["--db", db_url, "import", "--revert", batch]) == 0
    assert records.count("contact") == 0
    # The export names Ana by her REF in this database, where she is in the bin: refused...
    assert main(["--db", db_url, "import", target]) == 1
    assert records.count("contact") == 0
    # ...while another database gets her back from it.
    other = str(tmp_path / "other.db")
    assert main(["--db", other, "import", target]) == 0
    assert "records created: 1 (contact 1)" in capsys.readouterr().out
    assert main(["--db", db_url, "import", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rolodex: error: ") and "nope.csv: no such file" in err
    assert "Traceback" not in err
    assert main(["--db", db_url, "import"]) == 2
    assert "rolodex: error: import needs at least one FILE" in capsys.readouterr().err
