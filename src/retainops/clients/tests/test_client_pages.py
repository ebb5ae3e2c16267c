"""The client pages: who sees and edits what, validation, history on the page."""

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from retainops.clients.models import (
    Client,
    ClientTeamMember,
    ClientTool,
    Contact,
    ServiceLine,
    Tool,
)
from retainops.clients.queries import with_mrr
from retainops.clients.testing import ClientFactory, ContactFactory, make_contract
from retainops.core.models import DemoMarker, Role
from retainops.core.testing import UserFactory


def section(page: str, label: str) -> str:
    """The HTML of the page's <section> with this aria-label."""
    found = re.search(
        rf'<section[^>]*aria-label="{re.escape(label)}"[^>]*>(.*?)</section>', page, re.S
    )
    assert found, f"no {label} section"
    return found.group(1)


def text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def history_rows(page: str) -> list[list[str]]:
    """The history table's rows, each as its cells' text: when, who, what, change."""
    body = re.search(r"<tbody>(.*?)</tbody>", section(page, "History"), re.S)
    assert body, "no history table"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [[text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


@pytest.fixture
def harbor(north):
    return ClientFactory.create(name="Harbor Dental", business_unit=north)


@pytest.fixture
def cedar(south):
    return ClientFactory.create(name="Cedar Auto", business_unit=south)


def test_pages_need_a_login(client, harbor):
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_lists_demo_logins_only_when_demo_data_is_loaded(client, account_manager):
    assert b"Demo logins" not in client.get(reverse("login")).content
    DemoMarker.objects.create(usernames=["amy_am"])
    page = client.get(reverse("login")).content.decode()
    assert "Demo logins" in page
    assert "amy_am" in page


def test_login_with_password(client, account_manager):
    response = client.post(reverse("login"), {"username": "amy_am", "password": "pass-word-1"})
    assert response.status_code == 302
    assert client.get(reverse("clients:list")).status_code == 200


def test_list_shows_my_units_only(client, account_manager, harbor, cedar):
    client.force_login(account_manager)
    page = client.get(reverse("clients:list")).content.decode()
    assert "Harbor Dental" in page
    assert "Cedar Auto" not in page


def test_user_without_unit_sees_an_empty_list(client, outsider, harbor):
    client.force_login(outsider)
    page = client.get(reverse("clients:list")).content.decode()
    assert "Harbor Dental" not in page
    assert "not in any business unit" in page


def test_other_unit_client_page_is_not_found(client, account_manager, cedar):
    client.force_login(account_manager)
    assert client.get(reverse("clients:detail", args=[cedar.pk])).status_code == 404
    assert client.get(reverse("clients:edit", args=[cedar.pk])).status_code == 404


def test_search_filter_sort_and_paginate(client, account_manager, north, settings):
    settings.PAGE_SIZE = 2
    ClientFactory.create(name="Alpha Dental", business_unit=north)
    ClientFactory.create(name="Beta Dental", business_unit=north)
    rich = ClientFactory.create(name="Gamma Dental", business_unit=north)
    ClientFactory.create(name="Zeta Roofing", business_unit=north)
    make_contract(rich, {"seo": "9000"})
    client.force_login(account_manager)
    url = reverse("clients:list")
    first = client.get(url, {"q": "dental"}).content.decode()
    assert "Alpha Dental" in first and "Beta Dental" in first
    assert "Gamma Dental" not in first and "Zeta Roofing" not in first
    assert "Page 1 of 2" in first
    second = client.get(url, {"q": "dental", "page": 2}).content.decode()
    assert "Gamma Dental" in second
    by_mrr = client.get(url, {"sort": "-mrr"}).content.decode()
    assert by_mrr.index("Gamma Dental") < by_mrr.index("Alpha Dental")
    seo_id = ServiceLine.objects.get(code="seo").pk
    seo = client.get(url, {"service": seo_id})
    assert "Gamma Dental" in seo.content.decode()
    assert "Alpha Dental" not in seo.content.decode()


def test_a_page_past_the_last_is_not_found_rather_than_the_last_page(
    client, account_manager, north, settings
):
    settings.PAGE_SIZE = 2
    for name in ("Alpha Dental", "Beta Dental", "Gamma Dental"):
        ClientFactory.create(name=name, business_unit=north)
    client.force_login(account_manager)
    url = reverse("clients:list")

    assert client.get(url, {"page": 2}).status_code == 200
    for page in ("99", "0", "last", "3"):
        response = client.get(url, {"page": page})
        assert response.status_code == 404, page
        assert "Gamma Dental" not in response.content.decode()
    assert client.get(url, {"page": ""}).status_code == 200  # no number: the first page


def test_htmx_request_gets_only_the_table(client, account_manager, harbor):
    client.force_login(account_manager)
    response = client.get(reverse("clients:list"), {"q": "harbor"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Harbor Dental" in body
    assert "<html" not in body


def test_account_manager_edits_a_client_and_the_page_shows_the_change(
    clock, client, account_manager, harbor
):
    clock.move_to(datetime(2026, 3, 5, 14, 45, tzinfo=UTC))
    client.force_login(account_manager)
    response = client.post(
        reverse("clients:edit", args=[harbor.pk]),
        {
            "name": "Harbor Dental Group",
            "business_unit": harbor.business_unit_id,
            "industry": harbor.industry,
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    assert "<h1>Harbor Dental Group" in page
    assert history_rows(page) == [
        [
            "2026-03-05 14:45",
            str(account_manager),
            "Client changed: Harbor Dental Group",
            "name : Harbor Dental → Harbor Dental Group",
        ],
        ["2026-03-02 09:30", "system", "Client created: Harbor Dental", ""],
    ]


def test_invalid_edit_shows_errors_and_changes_nothing(client, account_manager, harbor):
    client.force_login(account_manager)
    response = client.post(
        reverse("clients:edit", args=[harbor.pk]),
        {"name": "", "business_unit": harbor.business_unit_id, "website": "nope"},
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    harbor.refresh_from_db()
    assert harbor.name == "Harbor Dental"


def test_service_agent_may_read_but_edit_is_refused(client, service_agent, harbor):
    client.force_login(service_agent)
    detail = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    assert "Harbor Dental" in detail
    assert reverse("clients:edit", args=[harbor.pk]) not in detail
    response = client.post(
        reverse("clients:edit", args=[harbor.pk]),
        {"name": "Hijacked", "business_unit": harbor.business_unit_id},
    )
    assert response.status_code == 403
    harbor.refresh_from_db()
    assert harbor.name == "Harbor Dental"


def test_cannot_move_a_client_into_a_unit_i_do_not_work_in(client, account_manager, harbor, south):
    client.force_login(account_manager)
    response = client.post(
        reverse("clients:edit", args=[harbor.pk]), {"name": "Harbor", "business_unit": south.pk}
    )
    assert response.status_code == 400
    harbor.refresh_from_db()
    assert harbor.business_unit.code == "north"


def test_create_client(client, account_manager, north):
    client.force_login(account_manager)
    response = client.post(
        reverse("clients:create"), {"name": "Maple Spa", "business_unit": north.pk}
    )
    created = Client.objects.get(name="Maple Spa")
    assert response["Location"] == reverse("clients:detail", args=[created.pk])
    assert created.history.first().history_user == account_manager


def test_status_change_from_the_page(client, account_manager, harbor):
    client.force_login(account_manager)
    client.post(reverse("clients:transition", args=[harbor.pk]), {"transition": "go_live"})
    harbor.refresh_from_db()
    assert harbor.status == "active"
    response = client.post(
        reverse("clients:transition", args=[harbor.pk]), {"transition": "win_back"}, follow=True
    )
    assert "cannot win back" in response.content.decode()
    harbor.refresh_from_db()
    assert harbor.status == "active"


def test_status_change_refused_without_the_capability(client, service_agent, harbor):
    client.force_login(service_agent)
    response = client.post(
        reverse("clients:transition", args=[harbor.pk]), {"transition": "go_live"}
    )
    assert response.status_code == 403
    harbor.refresh_from_db()
    assert harbor.status == "onboarding"


def test_team_contacts_and_tools_from_the_page(client, account_manager, north, harbor):
    csm = UserFactory.create(
        username="cleo_csm",
        first_name="Cleo",
        last_name="Mendes",
        roles=["client_success_manager"],
        units=[north],
    )
    client.force_login(account_manager)
    role = Role.objects.get(code="client_success_manager")
    client.post(reverse("clients:team", args=[harbor.pk]), {"role": role.pk, "user": csm.pk})
    assert ClientTeamMember.objects.get(client=harbor, role=role).user == csm
    client.post(
        reverse("clients:contact_add", args=[harbor.pk]),
        {"name": "Dana Reyes", "email": "dana@harbor.example"},
    )
    assert Contact.objects.get(client=harbor).email == "dana@harbor.example"
    tool = Tool.objects.get(code="crm")
    client.post(reverse("clients:tool_add", args=[harbor.pk]), {"tool": tool.pk, "reference": "X1"})
    entry = ClientTool.objects.get(client=harbor)
    assert (entry.tool, entry.reference) == (tool, "X1")
    page = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    assert str(csm) in text(section(page, "Team"))
    assert "Dana Reyes" in text(section(page, "Contacts"))
    tools = text(section(page, "Tools and boards"))
    assert "CRM (kept unless leaving the platform) X1" in tools
    assert "Not set up in any tool yet" not in tools


def test_duplicate_contact_email_is_refused(client, account_manager, harbor):
    ContactFactory.create(client=harbor, email="dana@harbor.example")
    client.force_login(account_manager)
    response = client.post(
        reverse("clients:contact_add", args=[harbor.pk]),
        {"name": "Dana again", "email": "dana@harbor.example"},
    )
    assert response.status_code == 400
    assert Contact.objects.filter(client=harbor).count() == 1


def test_contract_created_from_the_page_counts_toward_mrr(client, account_manager, harbor):
    client.force_login(account_manager)
    response = client.post(
        reverse("clients:contract_create", args=[harbor.pk]),
        {
            "reference": "PO-7",
            "currency": "USD",
            "start_date": "2026-02-01",
            "term_months": 12,
            "activate": "on",
            "budget_seo": "1000",
            "budget_sem": "250.50",
            "budget_ott": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    mrr = getattr(with_mrr(Client.objects.filter(pk=harbor.pk)).get(), "mrr")  # noqa: B009
    assert mrr == Decimal("1250.50")
    page = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    assert "MRR <strong>1,251</strong>" in page
    assert "USD 1,250.50 a month" in page


def test_list_filters_by_business_unit(client, administrator, harbor, cedar):
    client.force_login(administrator)
    url = reverse("clients:list")
    south_only = client.get(url, {"unit": cedar.business_unit_id}).content.decode()
    assert "Cedar Auto" in south_only
    assert "Harbor Dental" not in south_only
    north_only = client.get(url, {"unit": harbor.business_unit_id}).content.decode()
    assert "Harbor Dental" in north_only
    assert "Cedar Auto" not in north_only


def test_list_filters_by_team_member(client, account_manager, north, harbor):
    ClientFactory.create(name="Pine Bakery", business_unit=north)
    ClientTeamMember.objects.create(
        client=harbor, role=Role.objects.get(code="account_manager"), user=account_manager
    )
    client.force_login(account_manager)
    url = reverse("clients:list")
    everyone = client.get(url).content.decode()
    assert "Harbor Dental" in everyone and "Pine Bakery" in everyone
    mine = client.get(url, {"owner": account_manager.pk}).content.decode()
    assert "Harbor Dental" in mine
    assert "Pine Bakery" not in mine


def test_contract_budget_and_status_changes_show_in_the_clients_history(
    clock, client, account_manager, harbor
):
    contract = make_contract(harbor, {"seo": "1500.00"}, reference="HD-1")
    clock.move_to(datetime(2026, 3, 9, 11, 5, tzinfo=UTC))
    client.force_login(account_manager)
    seo = ServiceLine.objects.get(code="seo")
    client.post(
        reverse("clients:line_set", args=[contract.pk]),
        {"service": seo.pk, "monthly_budget": "900.00"},
    )
    clock.move_to(datetime(2026, 3, 10, 16, 20, tzinfo=UTC))
    client.post(reverse("clients:contract_status", args=[contract.pk]), {"transition": "pause"})
    page = client.get(reverse("clients:detail", args=[harbor.pk])).content.decode()
    newest = history_rows(page)[:2]
    assert newest == [
        [
            "2026-03-10 16:20",
            str(account_manager),
            "Contract changed: HD-1 (Paused)",
            "status : Active → Paused",
        ],
        [
            "2026-03-09 11:05",
            str(account_manager),
            "Contract line changed: HD-1 / SEO (budget change)",
            "monthly_budget : 1500.00 → 900.00",
        ],
    ]
