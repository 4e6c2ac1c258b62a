from rolodex.crm import associations, records


def test_first_company_becomes_primary_on_both_engines(db, ctx):
    ana = records.create("contact", {"first_name": "Ana", "email": "ana@acme.com"})
    acme = records.create("company", {"name": "Acme", "domain": "acme.com"})
    associations.associate(ana.id, acme.id, ctx)
    assert associations.primary_company(ana.id) == acme.id
