"""`rolodex tree`, `rolodex undo`, `labels create --hierarchical`, and the history's ids."""

from __future__ import annotations


def _group(ok, add):  # type: ignore[no-untyped-def]
    group = add("company", "name=Group AB", "domain=group.se")
    sub = add("company", "name=Sub AB", "domain=sub.se")
    leaf = add("company", "name=Leaf AB", "domain=leaf.se")
    ok("associate", group, sub, "--label", "Parent company")
    ok("associate", leaf, sub, "--label", "Child company")  # Leaf is Sub's child
    ok("associate", add("contact", "email=a@group.se"), group)
    ok("associate", add("contact", "email=b@leaf.se"), leaf)
    ok("associate", add("deal", "name=Open", "stage=proposal"), leaf)
    ok("associate", add("deal", "name=Won", "stage=closedwon"), leaf)
    return group, sub, leaf


def test_tree_text_draws_the_whole_group_with_sums_and_marks_the_record(ok, add):
    group, sub, leaf = _group(ok, add)
    out = ok("tree", "sub.se").out
    assert out == (
        "Parent company / Child company hierarchy\n"
        f"Group AB  {group}  contacts 2 (own 1) · open deals 1 (own 0) · 2 below\n"
        f"└── Sub AB  {sub}  contacts 1 (own 0) · open deals 1 (own 0) · 1 below  ◀\n"
        f"    └── Leaf AB  {leaf}  contacts 1 · open deals 1\n"
    )
    shallow = ok("tree", group, "--depth", "0").out
    assert shallow.splitlines()[-1] == "└── … 1 more below (raise --depth)"


def test_tree_json_nests_children_with_own_and_summed_counts(ok, add):
    group, sub, leaf = _group(ok, add)
    found = ok("tree", leaf, "--format", "json").json()
    assert (found["label"], found["inverse"], found["focus"]) == (
        "Parent company",
        "Child company",
        leaf,
    )
    root = found["root"]
    assert (root["ref"], root["contacts"], root["open_deals"], root["descendants"]) == (
        group,
        2,
        1,
        2,
    )
    assert root["own"] == {"contacts": 1, "open_deals": 0}
    (child,) = root["children"]
    assert child["ref"] == sub and child["children"][0]["ref"] == leaf
    assert child["children"][0]["children"] == []


def test_a_second_parent_and_a_cycle_are_refused_in_one_line(run, ok, add):
    group, sub, leaf = _group(ok, add)
    rival = add("company", "name=Rival")
    refused = run("associate", rival, sub, "--label", "Parent company")
    assert refused.code == 2
    assert refused.err == (
        f"rolodex: error: Sub AB ({sub}) already has a Parent company: Group AB ({group}) "
        "(one at most: remove that label first)\n"
    )
    cycle = run("associate", leaf, group, "--label", "Parent company")
    assert cycle.code == 2
    assert cycle.err == (
        "rolodex: error: 'Parent company' would make a cycle: "
        f"Leaf AB ({leaf}) → Group AB ({group}) → Sub AB ({sub}) → Leaf AB ({leaf})\n"
    )


def test_labels_create_hierarchical_makes_an_org_chart(run, ok, add):
    created = ok(
        "labels",
        "create",
        "contact",
        "contact",
        "Manager",
        "--inverse",
        "Employee",
        "--hierarchical",
    )
    assert "hierarchical" in created.out
    listed = ok("labels", "list", "--format", "json").json()["labels"]
    assert {(lab["name"], lab["hierarchical"]) for lab in listed} == {
        ("Manager", True),
        ("Parent company", True),
    }
    boss, me = add("contact", "email=boss@x.se"), add("contact", "email=me@x.se")
    ok("associate", boss, me, "--label", "Manager")
    assert "Manager / Employee hierarchy" in ok("tree", me).out
    single = run("labels", "create", "contact", "contact", "Mentor", "--hierarchical")
    assert single.code == 2 and "paired" in single.err


def test_history_gives_each_change_its_id_and_undo_reverts_it(ok, add):
    ana = add("contact", "email=ana@acme.se")
    acme = add("company", "name=Acme", "domain=acme.se")
    ok("associate", ana, acme)
    rows = ok("history", ana, "--format", "json").json()
    assert list(rows[0])[-2:] == ["history_id", "undoes"]
    change = rows[0]["history_id"]
    assert rows[0]["undoes"] is None and rows[0]["id"] == int(acme.split(":")[1])
    assert (
        ok("undo", str(change)).out
        == f"undid #{change}: {ana} and {acme} are no longer associated\n"
    )
    assert ok("show", ana, "--format", "json").json()["associations"] == []
    newest = ok("history", ana, "--format", "json").json()[0]
    assert (newest["action"], newest["undoes"], newest["source"]) == ("removed", change, "API")
    table = ok("history", ana).out.splitlines()
    assert table[0].startswith("#  Name")
    assert f"removed (undo of #{change})" in table[1]
    again = ok("undo", f"#{newest['history_id']}")  # the undo of the undo
    assert "associated again" in again.out
    assert ok("check").code == 0


def test_undo_refusals_are_one_line_and_change_nothing(run, ok, add):
    from tests.cli.conftest import snapshot

    ana = add("contact", "email=ana@acme.se")
    acme = add("company", "name=Acme", "domain=acme.se")
    ok("associate", ana, acme)
    first = ok("history", ana, "--format", "json").json()[0]["history_id"]
    ok("dissociate", ana, acme)
    before = snapshot()
    stale = run("undo", str(first))
    assert stale.code == 2
    assert stale.err.startswith(f"rolodex: error: #{first} cannot be undone: ")
    assert "changed again since" in stale.err
    missing = run("undo", "4242")
    assert (missing.code, missing.err) == (2, "rolodex: error: there is no history entry #4242\n")
    bad = run("undo", "last")
    assert bad.code == 2 and "not a history id" in bad.err
    assert snapshot() == before
