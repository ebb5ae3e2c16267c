"""Every page has an icon: /favicon.ico, which browsers ask for by themselves, sends them
to the icon the pages link, and the icon is a static file the project ships."""

import pytest
from django.contrib.staticfiles import finders


def test_favicon_ico_redirects_to_the_shipped_icon(client, db):
    answer = client.get("/favicon.ico")

    assert answer.status_code == 301
    assert answer["Location"].endswith("retainops/favicon.svg")
    assert finders.find("retainops/favicon.svg") is not None


@pytest.mark.django_db
def test_pages_link_the_icon(client, administrator):
    client.force_login(administrator)

    page = client.get("/clients/").content.decode()

    assert 'rel="icon"' in page and "retainops/favicon.svg" in page
