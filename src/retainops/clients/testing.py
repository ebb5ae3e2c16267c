"""Factories for tests: clients with variety, their contacts, and contracts."""

from datetime import date
from decimal import Decimal

import factory

from retainops.clients.choices import ContractStatus
from retainops.clients.models import Client, Contact, Contract, ContractLine, ServiceLine
from retainops.clients.services import refresh_mrr
from retainops.core.testing import BusinessUnitFactory


class ClientFactory(factory.django.DjangoModelFactory[Client]):
    class Meta:
        model = Client

    name = factory.Faker("company")
    business_unit = factory.SubFactory(BusinessUnitFactory)
    industry = factory.Faker("bs")


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")


def make_contract(
    client: Client,
    budgets: dict[str, str],
    *,
    active: bool = True,
    reference: str | None = None,
    start: date = date(2026, 1, 1),
) -> Contract:
    """A contract with one line per service code, active unless told otherwise."""
    contract = Contract(
        client=client,
        reference=reference or f"C-{client.pk}-{Contract.objects.count() + 1}",
        start_date=start,
        term_months=12,
    )
    if active:
        contract.activate()
    contract.save()
    for code, budget in budgets.items():
        ContractLine.objects.create(
            contract=contract,
            service=ServiceLine.objects.get(code=code),
            monthly_budget=Decimal(budget),
        )
    refresh_mrr([client.pk])
    assert contract.status == (ContractStatus.ACTIVE if active else ContractStatus.DRAFT)
    return contract
