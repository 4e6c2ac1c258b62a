"""Bad files: one clear message (file, row, what is wrong), non-zero exit, database unchanged."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolodex.crm import records
from rolodex.io import sniff
from rolodex.io.importer import run_import as do_import
from rolodex.io.sniff import ImportFileError, open_table
from rolodex.store.models import Record
from tests.io.conftest import fingerprint, run_import

GOOD = "First Name,Email\nAna,ana@acme.com\n"


@pytest.fixture
def seeded(db, write):
    """A database with something in it, and its fingerprint."""
    assert run_import(write("seed.csv", "First Name,Email\nOld,old@acme.com\n")).code == 0
    return fingerprint()


def _fails(result, *needles: str) -> None:
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "nothing was imported" in result.err
    first = result.err.splitlines()[0]
    for needle in needles:
        assert needle in first, (needle, first)


def test_empty_files(seeded, write):
    for content in (b"", b"\xef\xbb\xbf", b"\n\n  \n", b"\xff\xfe"):
        result = run_import(write("empty.csv", content))
        _fails(result, "empty.csv", "empty")
    assert fingerprint() == seeded


def test_binary_junk(seeded, write):
    junk = bytes(random.Random(4).randrange(256) for _ in range(5000))
    _fails(run_import(write("junk.csv", b"\x00\x01" + junk)), "junk.csv", "binary")
    _fails(run_import(write("fake.xlsx", b"PK\x03\x04" + junk)), "fake.xlsx", "xlsx")
    assert fingerprint() == seeded


def test_a_ragged_row_is_rejected_and_the_others_import(seeded, write, tmp_path):
    text = GOOD + "Bo,bo@acme.com\nCy,cy@acme.com,extra,values\nDee,dee@acme.com\n"
    errors = str(tmp_path / "errors.csv")
    result = run_import(write("ragged.csv", text), errors=errors)
    assert result.code == 1
    assert "RAGGED_ROW 1" in result.out
    assert "ragged.csv, row 4: RAGGED_ROW: 4 values but the header has 2 columns" in result.err
    assert "extra; values" in result.err
    assert sorted(r.name for r in Record.select()) == ["Ana", "Bo", "Dee", "Old"]
    with open(errors, encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["Source row"], row["Email"], row["Error code"]) == (
        "4",
        "cy@acme.com",
        "RAGGED_ROW",
    )


def test_short_rows_and_trailing_empty_cells_are_fine(db, write):
    result = run_import(
        write("short.csv", "Email,First Name,Job Title\nana@acme.com\nbo@acme.com,Bo,,\n")
    )
    assert result.code == 0, result.err
    assert records.count("contact") == 2


def test_duplicate_headers(seeded, write):
    result = run_import(write("dup.csv", "Email,First Name, EMAIL \nana@acme.com,Ana,x@y.com\n"))
    _fails(result, "dup.csv", "row 1", "columns 1 and 3")
    result = run_import(write("dup2.csv", "Email,Email Address\na@b.com,c@d.com\n"))
    _fails(result, "dup2.csv", "contact email")
    assert fingerprint() == seeded


def test_unknown_columns_are_ignored_with_a_note(db, write):
    result = run_import(
        write("c.csv", "Email,Favourite colour,Lead Status\nana@acme.com,blue,new\n")
    )
    assert result.code == 0
    assert "1 columns are not known properties and were skipped: 'Favourite colour'" in result.err
    # Lead Status is a HubSpot standard property: the contact gets it
    assert "new properties are created for 1 columns: contact.lead_status" in result.err
    assert records.resolve("ana@acme.com").properties == {
        "email": "ana@acme.com",
        "lead_status": "new",
    }


def test_no_known_column_at_all(seeded, write):
    _fails(run_import(write("stuff.csv", "Foo,Bar\n1,2\n")), "stuff.csv", "which object")
    assert fingerprint() == seeded


def test_record_ids_are_any_text_but_not_control_characters_or_huge(seeded, write):
    long_id = "9" * 300
    path = write(
        "contacts.csv",
        f"Record ID,Email\n001x0000002xLCVAA2,ana@acme.com\n{long_id},bo@acme.com\n",
    )
    result = run_import(path)
    assert result.code == 1
    assert "INVALID_IDENTIFIER 1" in result.out
    assert "contacts.csv, row 3: INVALID_IDENTIFIER" in result.err
    assert "is not a record id" in result.err
    assert records.count("contact") == 2  # the seeded one and Ana
    again = run_import(write("again.csv", "Record ID,First Name\n001x0000002xLCVAA2,Ana\n"))
    assert again.code == 0, again.err
    assert records.resolve("ana@acme.com").name == "Ana"  # found by her Salesforce id


def test_a_huge_single_line_is_one_rejected_row(seeded, tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "w") as handle:
        handle.write("First Name,Email\nAna,ana@acme.com\n")
        for _ in range(40):  # 40 MB without a newline, never held in memory whole
            handle.write("x" * 1_000_000)
        handle.write("\nBo,bo@acme.com\n")
    result = run_import(str(path))
    assert result.code == 1
    assert "rows read: 3, accepted: 2" in result.out and "CELL_TOO_LONG 1" in result.out
    assert "huge.csv, row 3: CELL_TOO_LONG: line 3: the row is longer than" in result.err
    assert records.count("contact") == 3


def test_a_file_that_disappears(seeded, write, tmp_path, monkeypatch):
    _fails(run_import(str(tmp_path / "gone.csv")), "gone.csv", "no such file")
    _fails(run_import(str(tmp_path)), "folder")
    path = write("vanishing.csv", GOOD + "".join(f"P{i},p{i}@acme.com\n" for i in range(2000)))
    real_open = open

    class Vanishing(io.FileIO):
        reads = 0

        def readinto(self, buffer):  # type: ignore[override]
            Vanishing.reads += 1
            if Vanishing.reads > 3:
                raise OSError(5, "Input/output error")
            return super().readinto(buffer)

    def fake_open(name, mode="r", *args, **kwargs):
        if str(name) == path and mode == "rb":
            return io.BufferedReader(Vanishing(name, "r"), buffer_size=4096)
        return real_open(name, mode, *args, **kwargs)

    monkeypatch.setattr(sniff, "open", fake_open, raising=False)
    result = run_import(path)
    _fails(result, "vanishing.csv", "could not be read")
    assert fingerprint() == seeded


def test_file_deleted_between_files_leaves_nothing(seeded, write):
    first = write("a.csv", GOOD)
    second = write("b.csv", GOOD)
    os.unlink(second)
    _fails(run_import(first, second), "b.csv", "no such file")
    assert fingerprint() == seeded


def test_interrupt_rolls_back(seeded, write, monkeypatch):
    path = write("c.csv", GOOD + "Bo,bo@acme.com\nCy,cy@acme.com\n")
    calls = []

    def progress(n):
        calls.append(n)
        if n == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        do_import([path], progress=progress)
    assert fingerprint() == seeded


# ---------------------------------------------------------------- fuzzing


def _read_all(path: str) -> int:
    count = 0
    with open_table(path) as table:
        for _number, _cells, _problem in table.rows:
            count += 1
    return count


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=2000))
def test_fuzz_parser_arbitrary_bytes(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        _read_all(str(path))
    except ImportFileError as exc:
        assert str(exc).startswith(str(path))


CSVISH = st.text(alphabet=st.sampled_from(list("ab,;\t\"\n\r\\' =+-@é\x00Ω1;:")), max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=CSVISH, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig"]))
def test_fuzz_parser_csv_like_text(tmp_path, body, encoding):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(("Email,First Name\n" + body).encode(encoding, "replace"))
    with contextlib.suppress(ImportFileError):
        _read_all(str(path))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.lists(
        st.lists(
            st.text(alphabet=st.sampled_from(list("ab1@.;: ,\"=\n'x7")), max_size=12),
            min_size=0,
            max_size=7,
        ),
        max_size=6,
    )
)
def test_fuzz_importer_never_raises_anything_else(db, tmp_path, body):
    import csv

    path = tmp_path / "contacts.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Record ID",
                "Email",
                "First Name",
                "Associated Company IDs",
                "Associated Company Labels",
                "Associated contact [email]",
                "Association label",
            ]
        )
        writer.writerows(body)
    before = fingerprint()
    try:
        summary = do_import([str(path)], dry_run=True)
    except ImportFileError:
        pass
    else:
        assert summary.rows == summary.accepted + sum(summary.rejected.values())
    assert fingerprint() == before


KILL_SCRIPT = """
import os, sys, time
from rolodex.store.database import open_database
from rolodex.io.importer import run_import
open_database(sys.argv[1])
def progress(n):
    if n == 300:
        open(sys.argv[3], "w").close()
        time.sleep(60)
run_import([sys.argv[2]], progress=progress)
"""


def test_kill_9_mid_import_leaves_the_database_as_before(seeded, db_url, write, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = write(
        "many.csv", "First Name,Email\n" + "".join(f"P{i},p{i}@x.com\n" for i in range(600))
    )
    marker = tmp_path / "halfway"
    child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, db_url, path, str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the import process ended early"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    from rolodex.store.database import open_database

    open_database(db_url)
    assert fingerprint() == seeded
