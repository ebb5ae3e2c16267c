"""The columns of the clients and contracts files: names, meanings, and other headings.

An export writes exactly these columns, in this order, so that it can be
edited and imported again; an import also accepts the headings other systems
(CRMs, older spreadsheets) use for the same data.
"""

from dataclasses import dataclass

from retainops.core.choices import RoleCode

KINDS = ("clients", "contracts")

CLIENT_COLUMNS = (
    "name",
    "business_unit",
    "status",
    "external_id",
    "website",
    "industry",
    "notes",
    "sold_on",
    "account_manager",
    "client_success_manager",
    "sales_rep",
    "contact_name",
    "contact_email",
    "contact_phone",
)
CONTRACT_COLUMNS = (
    "client",
    "business_unit",
    "reference",
    "service",
    "monthly_budget",
    "currency",
    "start_date",
    "term_months",
    "renewal_date",
    "status",
)
COLUMNS = {"clients": CLIENT_COLUMNS, "contracts": CONTRACT_COLUMNS}

# The team columns and the role each names.
TEAM_COLUMNS: dict[str, str] = {
    "account_manager": RoleCode.ACCOUNT_MANAGER,
    "client_success_manager": RoleCode.CLIENT_SUCCESS_MANAGER,
    "sales_rep": RoleCode.SALES_REP,
}
# The contact columns and the Contact field each fills.
CONTACT_COLUMNS: dict[str, str] = {
    "contact_name": "name",
    "contact_email": "email",
    "contact_phone": "phone",
}

_UNIT_ALIASES = ("Business Unit", "Unit", "Brand", "Division", "BU")

# Headings other systems use for our columns; matched ignoring case and punctuation.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "clients": {
        "name": (
            "Client",
            "Client Name",
            "Account",
            "Account Name",
            "Company",
            "Company Name",
            "Organization",
            "Organisation",
            "Business Name",
            "Customer",
            "Customer Name",
        ),
        "business_unit": _UNIT_ALIASES,
        "status": ("Client Status", "Account Status"),
        "external_id": (
            "External ID",
            "Record ID",
            "Account ID",
            "CRM ID",
            "Company ID",
            "Customer ID",
            "ID",
        ),
        "website": ("Website URL", "URL", "Web Site", "Domain", "Company Domain Name"),
        "industry": ("Vertical", "Sector"),
        "notes": ("Note", "Description", "Comments"),
        "sold_on": ("Sold Date", "Date Sold", "Close Date", "Closed Date", "Closed Won Date"),
        "account_manager": ("Account Manager", "AM"),
        "client_success_manager": (
            "Client Success Manager",
            "Customer Success Manager",
            "Success Manager",
            "CSM",
        ),
        "sales_rep": (
            "Sales Rep",
            "Sales Representative",
            "Salesperson",
            "Owner",
            "Account Owner",
            "Company Owner",
            "Record Owner",
        ),
        "contact_name": ("Contact", "Primary Contact", "Primary Contact Name"),
        "contact_email": ("Email", "E-mail", "Email Address", "Primary Contact Email"),
        "contact_phone": ("Phone", "Phone Number", "Telephone", "Primary Contact Phone"),
    },
    "contracts": {
        "client": (
            "Client Name",
            "Client ID",
            "Client External ID",
            "Account",
            "Account Name",
            "Account ID",
            "Company",
            "Company Name",
            "Customer",
        ),
        "business_unit": _UNIT_ALIASES,
        "reference": (
            "Contract",
            "Contract Reference",
            "Contract ID",
            "Contract Number",
            "Contract No",
            "Ref",
        ),
        "service": ("Service Line", "Service Code", "Product", "Product Name"),
        "monthly_budget": (
            "Budget",
            "Monthly Amount",
            "Monthly Fee",
            "Monthly Value",
            "Amount",
            "MRR",
        ),
        "currency": ("Currency Code",),
        "start_date": ("Start", "Contract Start", "Contract Start Date", "Effective Date"),
        "term_months": ("Term", "Term (months)", "Months", "Contract Term"),
        "renewal_date": ("Renewal", "Renews On", "Renewal Due"),
        "status": ("Contract Status",),
    },
}

COLUMN_MEANINGS: dict[str, dict[str, str]] = {
    "clients": {
        "name": "The client's name. Rows match existing clients on it when no external_id.",
        "business_unit": "Code or name of the business unit. May be left out by someone who "
        "works in exactly one unit.",
        "status": "onboarding (the default), active, paused, cancelling or cancelled.",
        "external_id": "The account's id in your CRM. Rows match existing clients on it first.",
        "website": "The client's site; https:// is added when the scheme is missing.",
        "industry": "Free text.",
        "notes": "Free text.",
        "sold_on": "The date sold, as YYYY-MM-DD.",
        "account_manager": "Username or e-mail of an account manager of that unit.",
        "client_success_manager": "Username or e-mail of a client success manager of that unit.",
        "sales_rep": "Username or e-mail of a sales rep of that unit.",
        "contact_name": "The main contact's name (give it with the e-mail).",
        "contact_email": "The main contact's e-mail; an existing contact with it is updated.",
        "contact_phone": "The main contact's phone.",
    },
    "contracts": {
        "client": "External id or name of an existing client.",
        "business_unit": "Code or name of the client's unit, when the name alone is ambiguous.",
        "reference": "The contract's reference; rows with the same client and reference are "
        "the lines of one contract.",
        "service": "Code or name of a service of the catalogue.",
        "monthly_budget": "The line's monthly budget, e.g. 1500.00.",
        "currency": "Three-letter code; USD when left out.",
        "start_date": "YYYY-MM-DD; needed for a new contract.",
        "term_months": "Whole months; needed for a new contract.",
        "renewal_date": "YYYY-MM-DD (optional).",
        "status": "draft or active (the default); an import can activate a draft.",
    },
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "clients": ("name",),
    "contracts": ("client", "reference"),
}


@dataclass(frozen=True)
class ColumnGuide:
    """A column of an import, for the page that explains them."""

    name: str
    required: bool
    meaning: str
    aliases: tuple[str, ...]


def column_guide(kind: str) -> list[ColumnGuide]:
    """The columns of a kind of import, with what they mean and the other headings accepted."""
    return [
        ColumnGuide(
            name=column,
            required=column in REQUIRED_COLUMNS[kind],
            meaning=COLUMN_MEANINGS[kind][column],
            aliases=ALIASES[kind].get(column, ()),
        )
        for column in COLUMNS[kind]
    ]
