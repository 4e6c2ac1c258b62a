"""A sidebar card's page is read in one statement (rows, primary, labels): what the
person sees must be the same as before, every label and the primary included."""

from __future__ import annotations

from rolodex.crm import associations, labels, objects
from tests.core.helpers import company, contact


def card_type() -> int:
    return objects.by_key("company").id


def test_every_label_of_a_row_is_shown_on_its_card(db, ctx):
    labels.create("contact", "company", "Employee", inverse="Employer")
    labels.create("contact", "company", "Advisor", inverse="Advised")
    labels.create("contact", "company", "Investor", inverse="Funded by")
    ana, acme = contact("Ana"), company("Acme")
    associations.associate(ana.id, acme.id, ctx, ["Employee", "Advisor", "Investor"])
    [card] = associations.page(ana.id, "company")  # what Acme is to Ana
    assert card.labels == ("Advised", "Employer", "Funded by") and card.primary
    [other_side] = associations.page(acme.id, "contact")
    assert other_side.labels == ("Advisor", "Employee", "Investor")
    assert not other_side.primary and other_side.primary_of_other
    assert [card] == associations._views(
        ana.id, "company", associations._page_rows(ana.id, card_type(), 25, None)
    )


def test_an_old_primary_leads_the_card_with_its_labels(db, ctx):
    """The primary is older than every row of the first page: it still leads, labelled."""
    labels.create("contact", "company", "Employee", inverse="Employer")
    labels.create("contact", "company", "Board member", inverse="Board")
    ana = contact("Ana")
    first = company("First")
    associations.associate(ana.id, first.id, ctx, ["Employee", "Board member"], primary=True)
    later = [company(f"Later {i}") for i in range(5)]
    for c in later:
        associations.associate(ana.id, c.id, ctx)
    page = associations.page(ana.id, "company", limit=3)
    assert [v.other_id for v in page] == [first.id, later[4].id, later[3].id]
    assert page[0].primary and page[0].labels == ("Board", "Employer")
    assert all(not v.primary and v.labels == () for v in page[1:])
    rest = associations.page(ana.id, "company", limit=3, before=page[-1].association_id)
    assert [v.other_id for v in rest] == [later[2].id, later[1].id, later[0].id]
