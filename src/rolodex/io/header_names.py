"""The names other CRMs give columns: HubSpot's property labels (English, Swedish, Spanish),
Salesforce's field names, and the object names files are named after.

A name is *qualified* when it says which object it belongs to ("Company name", "Deal
Stage"): such a column in another object's file means a second record on each row. An
unqualified name ("City", "Phone Number") belongs to the file's own object, or to none.
These are data formats, not text shown to people: never translated.
"""

from __future__ import annotations

# (object, property) of the standard objects -> [(column name, qualified)]
STANDARD: dict[tuple[str, str], list[tuple[str, bool]]] = {
    ("contact", "first_name"): [
        ("First Name", False),
        ("FirstName", False),
        ("Given name", False),
        ("Förnamn", False),
        ("Nombre", False),
    ],
    ("contact", "last_name"): [
        ("Last Name", False),
        ("LastName", False),
        ("Surname", False),
        ("Family name", False),
        ("Efternamn", False),
        ("Apellidos", False),
        ("Apellido", False),
    ],
    ("contact", "email"): [
        ("Email", False),
        ("Email Address", False),
        ("E-mail", False),
        ("E-mail address", False),
        ("Contact Email", True),
        ("E-post", False),
        ("E-postadress", False),
        ("Correo", False),
        ("Correo electrónico", False),
    ],
    ("contact", "phone"): [
        ("Phone Number", False),
        ("Phone", False),
        ("Telefonnummer", False),
        ("Número de teléfono", False),
    ],
    ("contact", "job_title"): [
        ("Job Title", False),
        ("Title", False),
        ("Jobbtitel", False),
        ("Befattning", False),
        ("Cargo", False),
    ],
    ("company", "name"): [
        ("Company name", True),
        ("Company", True),
        ("Account Name", True),
        ("Name", False),
        ("Företagsnamn", True),
        ("Nombre de la empresa", True),
    ],
    ("company", "domain"): [
        ("Company Domain Name", True),
        ("Company domain", True),
        ("Website domain", True),
        ("Domain", False),
        ("Företagets domännamn", True),
        ("Domännamn", False),
        ("Nombre de dominio de la empresa", True),
        ("Dominio", False),
    ],
    ("company", "industry"): [("Industry", False), ("Bransch", False), ("Sector", False)],
    ("company", "city"): [
        ("City", False),
        ("BillingCity", False),
        ("Ort", False),
        ("Stad", False),
        ("Ciudad", False),
    ],
    ("company", "country"): [
        ("Country/Region", False),
        ("Country", False),
        ("BillingCountry", False),
        ("Land/region", False),
        ("Land", False),
        ("País/región", False),
        ("País", False),
    ],
    ("deal", "name"): [
        ("Deal Name", True),
        ("Opportunity Name", True),
        ("Name", False),
        ("Affärsnamn", True),
        ("Affärens namn", True),
        ("Nombre del negocio", True),
    ],
    ("deal", "amount"): [
        ("Amount", False),
        ("Deal amount", True),
        ("Belopp", False),
        ("Importe", False),
        ("Cantidad", False),
    ],
    ("deal", "stage"): [
        ("Deal Stage", True),
        ("Stage", False),
        ("StageName", False),
        ("Affärsfas", True),
        ("Affärsstadium", True),
        ("Etapa del negocio", True),
    ],
    ("deal", "close_date"): [
        ("Close Date", False),
        ("CloseDate", False),
        ("Stängningsdatum", False),
        ("Fecha de cierre", False),
    ],
    ("ticket", "subject"): [
        ("Ticket name", True),
        ("Ticket subject", True),
        ("Subject", False),
        ("Ärendenamn", True),
        ("Biljettnamn", True),
        ("Nombre del ticket", True),
        ("Asunto", False),
    ],
    ("ticket", "status"): [
        ("Ticket status", True),
        ("Status", False),
        ("Ärendestatus", True),
        ("Biljettstatus", True),
        ("Estado del ticket", True),
        ("Estado", False),
    ],
    ("ticket", "priority"): [("Priority", False), ("Prioritet", False), ("Prioridad", False)],
}

# HubSpot's other standard properties, per object: (property key, kind, [column names]).
# Rolodex has no such property until an import keeps the column (--keep-unknown, --map).
CATALOGUE: dict[str, list[tuple[str, str, list[str]]]] = {
    "contact": [
        (
            "mobile_phone",
            "phone",
            [
                "Mobile Phone Number",
                "Mobiltelefonnummer",
                "Número de teléfono móvil",
                "MobilePhone",
            ],
        ),
        ("fax", "phone", ["Fax Number", "Faxnummer", "Número de fax", "Fax"]),
        ("company_name", "text", ["Company Name", "Företagsnamn", "Nombre de la empresa"]),
        ("website", "text", ["Website URL", "Webbadress", "Webbplatsens URL", "URL del sitio web"]),
        ("street_address", "text", ["Street Address", "Gatuadress", "Dirección"]),
        ("city", "text", ["City", "Ort", "Stad", "Ciudad", "MailingCity"]),
        ("state", "text", ["State/Region", "Delstat/region", "Estado/Región", "MailingState"]),
        ("postal_code", "text", ["Postal Code", "Zip", "Postnummer", "Código postal"]),
        ("country", "text", ["Country/Region", "Land/region", "País/región", "MailingCountry"]),
        ("industry", "text", ["Industry", "Bransch", "Sector"]),
        ("lifecycle_stage", "text", ["Lifecycle Stage", "Livscykelfas", "Etapa del ciclo de vida"]),
        ("lead_status", "text", ["Lead Status", "Leadstatus", "Estado del lead"]),
        ("owner", "text", ["Contact owner", "Kontaktägare", "Propietario del contacto"]),
        (
            "create_date",
            "text",
            ["Create Date", "Skapandedatum", "Fecha de creación", "CreatedDate"],
        ),
        (
            "last_activity_date",
            "text",
            ["Last Activity Date", "Datum för senaste aktivitet", "Fecha de la última actividad"],
        ),
        ("annual_revenue", "text", ["Annual Revenue", "Årlig intäkt", "Ingresos anuales"]),
        ("employees", "text", ["Number of Employees", "Antal anställda", "Número de empleados"]),
        ("linkedin", "text", ["LinkedIn URL", "LinkedIn Bio"]),
        ("department", "text", ["Department"]),
        ("salutation", "text", ["Salutation"]),
    ],
    "company": [
        ("phone", "phone", ["Phone Number", "Phone", "Telefonnummer", "Número de teléfono"]),
        ("website", "text", ["Website URL", "Website", "Webbadress", "URL del sitio web"]),
        ("street_address", "text", ["Street Address", "BillingStreet", "Gatuadress", "Dirección"]),
        ("state", "text", ["State/Region", "BillingState", "Delstat/region", "Estado/Región"]),
        (
            "postal_code",
            "text",
            ["Postal Code", "BillingPostalCode", "Postnummer", "Código postal"],
        ),
        (
            "annual_revenue",
            "text",
            ["Annual Revenue", "AnnualRevenue", "Årlig intäkt", "Ingresos anuales"],
        ),
        (
            "employees",
            "text",
            ["Number of Employees", "NumberOfEmployees", "Antal anställda", "Número de empleados"],
        ),
        ("type", "text", ["Type", "Typ", "Tipo"]),
        ("description", "text", ["Description", "Beskrivning", "Descripción"]),
        ("owner", "text", ["Company owner", "Företagsägare", "Propietario de la empresa"]),
        (
            "create_date",
            "text",
            ["Create Date", "Skapandedatum", "Fecha de creación", "CreatedDate"],
        ),
        ("lifecycle_stage", "text", ["Lifecycle Stage", "Livscykelfas", "Etapa del ciclo de vida"]),
        ("fax", "phone", ["Fax", "Fax Number"]),
    ],
    "deal": [
        ("pipeline", "text", ["Pipeline"]),
        ("owner", "text", ["Deal owner", "Affärsägare", "Propietario del negocio"]),
        ("deal_type", "text", ["Deal Type", "Affärstyp", "Tipo de negocio"]),
        ("create_date", "text", ["Create Date", "Skapandedatum", "Fecha de creación"]),
        ("probability", "text", ["Probability", "Deal probability"]),
        ("description", "text", ["Deal Description", "Description"]),
    ],
    "ticket": [
        ("pipeline", "text", ["Pipeline"]),
        ("owner", "text", ["Ticket owner", "Ärendeägare", "Propietario del ticket"]),
        ("create_date", "text", ["Create date", "Skapandedatum", "Fecha de creación"]),
        ("description", "text", ["Ticket description", "Description", "Beskrivning"]),
        ("category", "text", ["Category", "Kategori", "Categoría"]),
        ("source", "text", ["Source", "Källa", "Origen"]),
    ],
}

# A file's own id column, in every language it is exported in.
RECORD_ID = ["Record ID", "Id", "Object ID", "Post-ID", "ID de registro", "Id. de registro"]

# Words in a file's name that say which object it holds (besides each object's own
# key, singular and plural): Salesforce's objects, and HubSpot's in Swedish and Spanish.
FILE_WORDS: dict[str, list[str]] = {
    "contact": [
        "lead",
        "leads",
        "person",
        "people",
        "kontakt",
        "kontakter",
        "contacto",
        "contactos",
    ],
    "company": [
        "account",
        "accounts",
        "organisation",
        "organization",
        "företag",
        "empresa",
        "empresas",
    ],
    "deal": ["opportunity", "opportunities", "affär", "affärer", "negocio", "negocios"],
    "ticket": ["case", "cases", "ärende", "ärenden"],
}


def label_of(type_key: str, prop_key: str) -> str:
    """The English name of a HubSpot standard property (the label it is created with)."""
    for key, _kind, texts in CATALOGUE.get(type_key, []):
        if key == prop_key:
            return texts[0]
    return prop_key.replace("_", " ").capitalize()
