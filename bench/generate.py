"""Bulk data for benchmarks: N clients with teams, contacts and contracts.

Written with bulk_create (no history rows) because the benchmark measures
reading the list, not writing it; the demo command writes full history.
"""

import random
from decimal import Decimal

from django.db import transaction

from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import (
    Client,
    ClientTeamMember,
    Contact,
    Contract,
    ContractLine,
    ServiceLine,
)
from retainops.clients.services import refresh_mrr
from retainops.core.models import BusinessUnit, Role, User

WORDS = ["Harbor", "Cedar", "Summit", "Maple", "Granite", "Lakeside", "Pine", "Bright", "Iron"]
KINDS = ["Dental", "Auto", "Roofing", "Bakery", "Law", "Fitness", "Realty", "Vets", "Spa"]
STATUS_MIX = [
    (ClientStatus.ACTIVE, 60),
    (ClientStatus.CANCELLED, 22),
    (ClientStatus.ONBOARDING, 8),
    (ClientStatus.PAUSED, 6),
    (ClientStatus.CANCELLING, 4),
]


def _staff(units: list[BusinessUnit]) -> dict[str, list[User]]:
    people: dict[str, list[User]] = {}
    for code in ("account_manager", "client_success_manager", "sales_rep"):
        role = Role.objects.get(code=code)
        people[code] = []
        for unit in units:
            for index in range(10):
                user = User.objects.create(username=f"bench.{code}.{unit.code}.{index}")
                user.roles.add(role)
                user.business_units.add(unit)
                people[code].append(user)
    return people


def generate(count: int, seed: int = 7) -> None:
    """Write `count` clients across two units, with a reader per unit and an admin."""
    rng = random.Random(seed)
    with transaction.atomic():
        units = [
            BusinessUnit.objects.create(code="bench-north", name="Bench North"),
            BusinessUnit.objects.create(code="bench-south", name="Bench South"),
        ]
        people = _staff(units)
        by_unit = {
            unit.pk: {
                code: [u for u in users if u.username.split(".")[2] == unit.code]
                for code, users in people.items()
            }
            for unit in units
        }
        add_clients(count, units, by_unit, rng)


def add_clients(
    count: int,
    units: list[BusinessUnit],
    people_by_unit: dict[int, dict[str, list[User]]],
    rng: random.Random,
    prefix: str = "CRM",
) -> list[Client]:
    """`count` clients alternating between `units`, each with a team drawn from its
    unit's people (role code -> people), a contact, a contract and one to three lines."""
    roles = {r.code: r for r in Role.objects.all()}
    services = list(ServiceLine.objects.all())
    statuses = [s for s, weight in STATUS_MIX for _ in range(weight)]
    clients = [
        Client(
            name=f"{rng.choice(WORDS)} {rng.choice(KINDS)} {index}",
            business_unit=units[index % len(units)],
            status=rng.choice(statuses),
            external_id=f"{prefix}-{index}",
        )
        for index in range(count)
    ]
    Client.objects.bulk_create(clients, batch_size=2000)
    _children(clients, people_by_unit, roles, services, rng)
    return clients


def _children(
    clients: list[Client], people_by_unit: dict, roles: dict, services: list, rng
) -> None:
    members, contacts, contracts = [], [], []
    for client in clients:
        for code, users in people_by_unit[client.business_unit_id].items():
            members.append(
                ClientTeamMember(client=client, role=roles[code], user=rng.choice(users))
            )
        contacts.append(
            Contact(client=client, name="Pat Owner", email=f"owner{client.pk}@x.example")
        )
        status = (
            ContractStatus.ACTIVE
            if client.status in (ClientStatus.ACTIVE, ClientStatus.CANCELLING)
            else ContractStatus.CANCELLED
        )
        contracts.append(
            Contract(
                client=client,
                reference=f"PO-{client.pk}",
                start_date="2026-01-01",
                term_months=12,
                status=status,
            )
        )
    ClientTeamMember.objects.bulk_create(members, batch_size=5000)
    Contact.objects.bulk_create(contacts, batch_size=5000)
    Contract.objects.bulk_create(contracts, batch_size=5000)
    lines = [
        ContractLine(
            contract=contract,
            service=service,
            monthly_budget=Decimal(rng.randrange(500, 15000)),
        )
        for contract in contracts
        for service in rng.sample(services, rng.randint(1, 3))
    ]
    ContractLine.objects.bulk_create(lines, batch_size=5000)
    refresh_mrr([client.pk for client in clients])
