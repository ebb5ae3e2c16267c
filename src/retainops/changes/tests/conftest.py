"""Fixtures for change requests: a North client with an active contract and tools, the
people of the escalation pathway, the lists the approval playbook writes to, and the
shipped approval playbook published."""

from datetime import date
from decimal import Decimal

import pytest

from retainops.changes.models import ChangeReason
from retainops.clients.models import Client, ClientTeamMember, ClientTool, Tool
from retainops.clients.testing import ClientFactory, ContactFactory, make_contract
from retainops.core.models import BusinessUnit, Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.models import DistributionList, DistributionListMember
from retainops.messaging.tests.conftest import START, clock, smtp, smtp_server  # noqa: F401
from retainops.playbooks.models import PlaybookVersion
from retainops.playbooks.services import publish_playbook
from retainops.playbooks.tests.conftest import LIBRARY, ops_lead, reference_data, team_lead  # noqa: F401

EFFECTIVE = date(2026, 12, 31)


def follow_through() -> str:
    """The steps of the shipped chain from the announcement on (what every chain does once a
    request is approved: see changes/chains.py), taken from the shipped file itself."""
    shipped = (LIBRARY / "change-approval.yaml").read_text()
    return shipped[shipped.index("  - key: announce") :]


def approval_only(key: str, owner: str = "role:approver") -> str:
    """An approval chain that stops at approval: one approval by `owner`, after which the
    request is approved and nothing moves it on (what routes refuse)."""
    return f"""
key: {key}
name: {key} approval
subject: change_request
trigger: manual
anchors: [submitted, effective]
steps:
  - key: the_approval
    title: Approval by {owner}
    kind: approval
    owner: {owner}
    due: 1 day after submitted
"""


def one_approval(key: str, owner: str = "role:approver") -> str:
    """A small approval chain to route requests to: one approval by `owner`, then the
    request is approved and goes on as with the shipped chain (announced, processed,
    in effect on its date, offboarded)."""
    return f"""{approval_only(key, owner)}
  - key: approved
    title: Approved
    kind: join
    needs: [the_approval]
    on_done: mark_approved

{follow_through()}"""


def _person(username: str, role: str, unit: BusinessUnit) -> User:
    return UserFactory.create(username=username, roles=[role], units=[unit])


@pytest.fixture
def retention_rep(north: BusinessUnit) -> User:
    """Rita of the retention team, who makes the save calls."""
    return _person("rita_retention", "retention_team", north)


@pytest.fixture
def approver(north: BusinessUnit) -> User:
    """Jules, the first approver."""
    return _person("jules_approver", "approver", north)


@pytest.fixture
def department_manager(north: BusinessUnit) -> User:
    """Dora, the department manager: second approval, prepares the department, verifies."""
    return _person("dora_dm", "department_manager", north)


@pytest.fixture
def finance(north: BusinessUnit) -> User:
    return _person("fin_finance", "finance", north)


@pytest.fixture
def accountant(north: BusinessUnit) -> User:
    return _person("acc_accounting", "accounting", north)


@pytest.fixture
def partner(north: BusinessUnit) -> User:
    """Pat of the partner team, who removes clients from tools."""
    return _person("pat_partner", "partner_team", north)


@pytest.fixture
def harbor(north: BusinessUnit, account_manager: User) -> Client:
    """A North client, active, with a contract (display 2,000 + SEO 1,000) and three tools,
    one of them kept unless the client leaves the platform."""
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    client.go_live()
    client.save()
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=account_manager
    )
    ContactFactory.create(client=client, name="Dana Diaz", email="dana@harbor.example")
    make_contract(client, {"targeted-display": "2000.00", "seo": "1000.00"})
    for code in ("project-board", "ad-platform", "crm"):
        ClientTool.objects.create(client=client, tool=Tool.objects.get(code=code), reference=code)
    return client


@pytest.fixture
def lists(ops_lead: User, department_manager: User) -> None:
    """Who hears of approved changes, and the vendor's address for notices."""
    notice = DistributionList.objects.get(code="change-notice")
    for user in (ops_lead, department_manager):
        DistributionListMember.objects.create(distribution_list=notice, kind="user", user=user)
    vendor = DistributionList.objects.get(code="vendor-notices")
    DistributionListMember.objects.create(
        distribution_list=vendor, kind="address", address="west@vendor.example"
    )


@pytest.fixture
def approval_playbook(ops_lead: User) -> PlaybookVersion:
    return publish_playbook(by=ops_lead, source=(LIBRARY / "change-approval.yaml").read_text())


@pytest.fixture
def budget_cut() -> ChangeReason:
    return ChangeReason.objects.get(code="budget-cut")


@pytest.fixture
def money() -> Decimal:
    return Decimal("500.00")
