"""Meetings through the API: invitations queued on schedule, move and cancel; who may."""

from datetime import UTC, datetime, timedelta

import pytest

from retainops.clients.testing import ClientFactory, ContactFactory
from retainops.core.testing import ApiCaller
from retainops.messaging.models import Meeting, Message

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def harbor(north):
    client = ClientFactory.create(name="Harbor Dental", business_unit=north)
    ContactFactory.create(client=client, name="Dana Diaz", email="dana@harbor.example")
    return client


def _body(client_id: int, **overrides):
    return {
        "client": client_id,
        "title": "Onboarding meeting",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=1)).isoformat(),
        "attendees": ["contacts"],
        **overrides,
    }


def _invitation_methods(meeting: Meeting) -> list[str]:
    messages = Message.objects.filter(cause=f"meeting {meeting.uid}").order_by("id")
    return [m.attachments.get().content_type.split("method=")[1].split(";")[0] for m in messages]


def test_schedule_move_and_cancel_queue_invitations(account_manager, harbor):
    caller = ApiCaller(account_manager)
    created = caller.post("/meetings", _body(harbor.pk))
    assert created.status_code == 201, created.content
    meeting = Meeting.objects.get(pk=created.json()["id"])
    later = START + timedelta(days=2)
    moved = caller.post(
        f"/meetings/{meeting.pk}/move",
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
    )
    assert moved.json()["sequence"] == 1
    cancelled = caller.post(f"/meetings/{meeting.pk}/cancel", {})
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["sequence"] == 2
    assert _invitation_methods(meeting) == ["REQUEST", "REQUEST", "CANCEL"]
    listed = caller.get(f"/clients/{harbor.pk}/meetings").json()
    assert [m["uid"] for m in listed] == [str(meeting.uid)]


def test_a_meeting_that_ends_before_it_starts_is_refused(account_manager, harbor):
    response = ApiCaller(account_manager).post(
        "/meetings", _body(harbor.pk, ends_at=(START - timedelta(hours=1)).isoformat())
    )
    assert response.status_code == 422
    assert "ends_at" in response.json()["errors"]
    assert not Meeting.objects.exists()
    assert not Message.objects.exists()


def test_unknown_attendee_is_refused_and_nothing_is_written(account_manager, harbor):
    response = ApiCaller(account_manager).post(
        "/meetings", _body(harbor.pk, attendees=["role:creative_director"])
    )
    assert response.status_code == 422
    assert "to" in response.json()["errors"]
    assert not Meeting.objects.exists()


def test_service_agent_may_not_schedule(service_agent, harbor):
    response = ApiCaller(service_agent).post("/meetings", _body(harbor.pk))
    assert response.status_code == 403
    assert not Meeting.objects.exists()


def test_other_unit_cannot_see_or_move_the_meeting(account_manager, south_account_manager, harbor):
    created = ApiCaller(account_manager).post("/meetings", _body(harbor.pk)).json()
    caller = ApiCaller(south_account_manager)
    assert caller.get(f"/meetings/{created['id']}").status_code == 404
    assert caller.post(f"/meetings/{created['id']}/cancel", {}).status_code == 404
    assert Meeting.objects.get(pk=created["id"]).state == "scheduled"
