"""A form page that comes back with errors opens with an error summary: one box, ready to
take focus, listing each problem as a link to the field it is about."""

import re

import pytest
from django.urls import reverse

from retainops.clients.models import Client

pytestmark = pytest.mark.django_db


def summary_of(page: str) -> str:
    found = re.search(r'<div [^>]*id="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_a_failed_new_client_lists_each_error_linked_to_its_field(client, account_manager):
    client.force_login(account_manager)
    response = client.post(reverse("clients:create"), {"name": "", "business_unit": ""})
    page = response.content.decode()

    assert response.status_code == 400
    assert not Client.objects.exists()
    summary = summary_of(page)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    targets = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert {target for target, _ in targets} == {"id_name", "id_business_unit"}
    for target, message in targets:
        assert f'id="{target}"' in page, f"the summary links to #{target}, which is not on the page"
        assert message.startswith(("Name:", "Business unit:"))
    assert page.count('id="error-summary"') == 1


def test_a_form_without_errors_has_no_summary(client, account_manager):
    client.force_login(account_manager)
    page = client.get(reverse("clients:create")).content.decode()
    assert 'id="error-summary"' not in page


def test_a_failed_sign_in_is_summarised_without_a_link(client, account_manager):
    response = client.post(reverse("login"), {"username": "amy_am", "password": "wrong"})
    summary = summary_of(response.content.decode())
    assert "<a " not in summary
    assert "correct username and password" in summary


def test_every_page_loads_the_focus_script(client, account_manager):
    client.force_login(account_manager)
    page = client.get(reverse("clients:create")).content.decode()
    assert re.search(r'<script src="[^"]*retainops/focus-errors\.js" defer>', page)
