"""The indexed search (matching.py) finds exactly the clients a plain `icontains` on the
name or `iexact` on the CRM id finds, on either database, and follows renames."""

import pytest
from django.db.models import Q

from retainops.clients.matching import name_or_crm_id
from retainops.clients.models import Client
from retainops.clients.testing import ClientFactory

NAMES = [
    ("Harbor Dental", "HD-1"),
    ("CAFÉ Noir", "CN-1"),
    ("café dental studio", ""),
    ("Pine 50% Bakery", "PB_9"),
    ("ab_cd Plumbing", ""),
    ('The "Quoted" Shop', "Q-1"),
    ("Zürich Zahnarzt", "zz-7"),
]
TERMS = [
    "dental", "DENT", "Den", "de", "d", "é", "É", "café", "CAFÉ", "ürich", "ÜRICH",
    "50%", "%", "b_c", "_", "crm", "hd-1", "HD-1", "pb_9", "ZZ-7", '"Quoted"', '"', "x y",
]  # fmt: skip


@pytest.fixture
def clients(north):
    for name, external_id in NAMES:
        ClientFactory.create(name=name, external_id=external_id, business_unit=north)


def plain(text: str) -> set[str]:
    found = Client.objects.filter(Q(name__icontains=text) | Q(external_id__iexact=text))
    return set(found.values_list("name", flat=True))


def indexed(text: str) -> set[str]:
    return set(name_or_crm_id(Client.objects.all(), text).values_list("name", flat=True))


@pytest.mark.usefixtures("clients")
def test_the_indexed_search_finds_what_the_plain_lookups_find():
    for text in TERMS:
        assert indexed(text) == plain(text), text
    assert indexed("dental") == {"Harbor Dental", "café dental studio"}
    assert indexed("hd-1") == {"Harbor Dental"}


@pytest.mark.usefixtures("clients")
def test_a_renamed_or_removed_client_is_found_by_its_new_name_only():
    harbor = Client.objects.get(name="Harbor Dental")
    harbor.name = "Harbour Orthodontics"
    harbor.save()
    assert indexed("Dental") == {"café dental studio"}
    assert indexed("orthodont") == {"Harbour Orthodontics"}
    Client.objects.filter(pk=harbor.pk).delete()
    assert indexed("orthodont") == set()
    ClientFactory.create(name="New Dental Care", business_unit=harbor.business_unit)
    assert indexed("dental") == {"café dental studio", "New Dental Care"}
