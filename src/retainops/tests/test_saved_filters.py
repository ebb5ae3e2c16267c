"""Saved filters: a person keeps the filters of a list under a name, sees only their own,
and deletes only their own; only the page's known filters are kept."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.clients.testing import ClientFactory
from retainops.core import services
from retainops.core.errors import errors_by_field
from retainops.core.models import SavedFilter
from retainops.core.testing import UserFactory


def as_(user) -> HttpClient:
    web = HttpClient()
    web.force_login(user)
    return web


def refusal(operation) -> dict[str, list[str]]:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        operation()
    return errors_by_field(caught.value)


def test_only_the_pages_known_filters_are_kept(account_manager):
    saved = services.save_filter(
        by=account_manager,
        page="clients",
        name="  Paused   harbor ",
        query="?q=harbor&status=paused&page=3&next=//evil.example&unit=",
    )
    assert saved.name == "Paused harbor"
    assert saved.query == "q=harbor&status=paused"


def test_the_same_name_again_replaces_the_filters(account_manager):
    first = services.save_filter(
        by=account_manager, page="changes", name="Mine", query="kind=pause"
    )
    again = services.save_filter(
        by=account_manager, page="changes", name="Mine", query="status=draft"
    )
    assert again.pk == first.pk and again.query == "status=draft"
    assert SavedFilter.objects.filter(user=account_manager).count() == 1


def test_bad_input_is_refused_naming_the_field(account_manager):
    save = services.save_filter
    assert "page" in refusal(lambda: save(by=account_manager, page="x", name="A", query=""))
    assert "name" in refusal(lambda: save(by=account_manager, page="clients", name=" ", query=""))
    long_query = "q=" + "a" * 1200
    assert "query" in refusal(
        lambda: save(by=account_manager, page="clients", name="A", query=long_query)
    )
    assert not SavedFilter.objects.exists()


def test_the_client_list_saves_shows_and_deletes_the_persons_filters(
    account_manager, service_agent, north
):
    ClientFactory.create(name="Harbor Dental", business_unit=north)
    web = as_(account_manager)
    page = web.get(reverse("clients:list"), {"status": "paused"}).content.decode()
    assert 'name="query" value="status=paused"' in page

    answer = web.post(
        reverse("saved_filter_save"),
        {"page": "clients", "query": "status=paused&evil=1", "name": "Paused"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/clients/?status=paused"
    saved = SavedFilter.objects.get(user=account_manager)
    listed = web.get(reverse("clients:list")).content.decode()
    assert 'href="/clients/?status=paused">Paused</a>' in listed

    # Another person sees none of it and cannot delete it.
    other = as_(service_agent)
    assert "Paused</a>" not in other.get(reverse("clients:list")).content.decode()
    refused = other.post(reverse("saved_filter_delete", args=[saved.pk]))
    assert refused.status_code == 404 and SavedFilter.objects.filter(pk=saved.pk).exists()

    web.post(reverse("saved_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()


def test_the_changes_list_offers_its_saved_filters(account_manager):
    services.save_filter(by=account_manager, page="changes", name="Pauses", query="kind=pause")
    page = as_(account_manager).get(reverse("changes:list")).content.decode()
    assert 'href="/changes/?kind=pause">Pauses</a>' in page


def test_the_api_lists_saves_and_deletes_only_the_callers_own(api_as, account_manager):
    outsider = UserFactory.create(username="other_person")
    theirs = services.save_filter(by=outsider, page="clients", name="Theirs", query="q=x")
    me = api_as(account_manager)

    made = me.post("/saved-filters", {"page": "changes", "name": "Drafts", "query": "status=draft"})
    assert made.status_code == 201 and made.json()["query"] == "status=draft"
    assert [f["name"] for f in me.get("/saved-filters").json()] == ["Drafts"]
    assert me.get("/saved-filters", page="clients").json() == []
    bad = me.post("/saved-filters", {"page": "nowhere", "name": "X"})
    assert bad.status_code == 422 and "page" in bad.content.decode()

    assert me.delete(f"/saved-filters/{theirs.pk}").status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()
    assert me.delete(f"/saved-filters/{made.json()['id']}").status_code == 204
    assert not SavedFilter.objects.filter(user=account_manager).exists()


def test_the_task_list_offers_its_saved_filters(account_manager):
    saved = services.save_filter(
        by=account_manager, page="tasks", name="Late queue", query="scope=queue&due=overdue&x=1"
    )
    assert saved.query == "scope=queue&due=overdue"
    page = as_(account_manager).get(reverse("playbooks:tasks"), {"scope": "queue"}).content
    assert b'href="/work/tasks/?scope=queue&amp;due=overdue">Late queue</a>' in page
    assert b'name="query" value="scope=queue"' in page


def test_a_refused_save_says_why_and_keeps_the_list_filtered(account_manager):
    answer = as_(account_manager).post(
        reverse("saved_filter_save"),
        {"page": "changes", "query": "kind=pause&evil=1", "name": "  "},
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == "/changes/?kind=pause"
    assert "Give the filters a name." in answer.content.decode()
    assert not SavedFilter.objects.exists()
