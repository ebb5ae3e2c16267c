"""The security log: failed sign-ins, lockouts, refused permissions and objects, one line each."""

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.clients.testing import ClientFactory
from retainops.core.models import BusinessUnit, User
from retainops.core.testing import ApiCaller, UserFactory

pytestmark = pytest.mark.django_db


def security_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "retainops.security"
    ]


def test_a_failed_sign_in_and_a_lockout_are_one_line_each(caplog, settings) -> None:
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    User.objects.create_user(username="amy_am", password="right-password-1")
    caplog.set_level(logging.WARNING)
    for _ in range(2):
        HttpClient().post(reverse("login"), {"username": "amy_am", "password": "wrong"})
    events = [line["event"] for line in security_lines(caplog)]
    assert events.count("sign_in_failed") == 2
    assert "locked_out" in events
    failed = next(line for line in security_lines(caplog) if line["event"] == "sign_in_failed")
    assert failed["username"] == "amy_am" and failed["ip"] == "127.0.0.1"
    assert "wrong" not in caplog.text  # never the password


def test_a_refused_page_is_logged_once_without_a_traceback(caplog, client, north) -> None:
    manager = UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    client.force_login(manager)
    caplog.set_level(logging.WARNING)
    response = client.get(reverse("administration:units"))
    assert response.status_code == 403
    refused = [line for line in security_lines(caplog) if line["event"] == "permission_refused"]
    assert len(refused) == 1 and refused[0]["user"] == "amy_am"
    assert not any(record.exc_info for record in caplog.records)
    assert "Traceback" not in caplog.text


def test_an_object_of_another_unit_is_logged_as_refused(caplog, north) -> None:
    south = BusinessUnit.objects.create(code="south", name="South Media")
    cedar = ClientFactory.create(name="Cedar Auto", business_unit=south)
    outsider = UserFactory.create(username="olly", roles=["account_manager"], units=[north])
    caplog.set_level(logging.WARNING)
    assert ApiCaller(outsider).get(f"/clients/{cedar.pk}").status_code == 404
    refused = [line for line in security_lines(caplog) if line["event"] == "object_refused"]
    assert refused == [
        {
            "event": "object_refused",
            "ip": "127.0.0.1",
            "method": "GET",
            "path": f"/api/v1/clients/{cedar.pk}",
            "reason": None,
            "status": 404,
            "user": "olly",
        }
    ]
