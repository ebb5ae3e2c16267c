"""The bell: a task given to me and every notice the outbox e-mails me (a reminder, an
escalation...) are in the app too, unread until opened; mine alone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from retainops.core.testing import UserFactory
from retainops.home.models import Notification, NotificationKind
from retainops.messaging.services import Outgoing, queue_message
from retainops.playbooks import services
from retainops.playbooks.models import Task
from retainops.playbooks.timers import fire_all_due

from .conftest import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(handoff, harbor, account_manager):
    return services.start_run(
        by=account_manager, playbook=handoff.playbook, subject_id=harbor.pk, anchors={"sold": START}
    )


def _first_contact(run):
    return Task.objects.get(run=run, step_key="first_contact")


def test_a_task_given_to_me_by_someone_else_rings_the_bell(run, account_manager, team_lead):
    task = _first_contact(run)
    services.reassign_task(by=account_manager, task=task, to=team_lead)
    [note] = Notification.objects.filter(user=team_lead, kind=NotificationKind.ASSIGNED)
    assert note.url == f"/work/tasks/{task.pk}/"
    assert note.title == "First contact with the client (Harbor Dental)"
    assert not note.is_read
    # Taking a task oneself is no news.
    services.reassign_task(by=team_lead, task=task, to=team_lead)
    assert Notification.objects.filter(user=team_lead).count() == 1


def test_an_escalation_e_mailed_to_me_is_in_the_bell_too(run, team_lead, clock):
    clock.move_to(START + timedelta(hours=24))
    fire_all_due(now=timezone.now())
    notices = Notification.objects.filter(user=team_lead, kind=NotificationKind.NOTICE)
    assert notices.count() == 1
    assert "First contact with the client" in notices.get().title
    assert notices.get().url == f"/playbooks/runs/{run.pk}/"


def test_a_message_to_a_client_contact_rings_no_bell_and_a_copy_is_kept_once(
    harbor, account_manager
):
    queue_message(
        outgoing=Outgoing(
            channel="email", to=["contacts"], subject="Your report", body_text="Hello"
        ),
        client=harbor,
        cause="test",
    )
    assert not Notification.objects.exists()
    account_manager.email = account_manager.email.upper()  # the address as a person typed it
    account_manager.save()
    queue_message(
        outgoing=Outgoing(
            channel="email",
            to=["role:account_manager", "role:account_manager"],
            subject="Budget review due",
            body_text="Please review.",
        ),
        client=harbor,
        cause="test",
    )
    assert list(Notification.objects.values_list("user__username", "title")) == [
        (account_manager.username, "Budget review due")
    ]


def test_the_page_opens_marks_read_and_keeps_others_out(client, run, account_manager, team_lead):
    services.reassign_task(by=account_manager, task=_first_contact(run), to=team_lead)
    note = Notification.objects.get(user=team_lead)
    client.force_login(team_lead)
    assert 'id="bell-count"' in client.get("/clients/").content.decode()
    assert "First contact with the client" in client.get("/notifications/").content.decode()
    opened = client.post(f"/notifications/{note.pk}/open")
    assert opened["Location"] == note.url
    note.refresh_from_db()
    assert note.is_read
    assert 'id="bell-count"' not in client.get("/clients/").content.decode()

    stranger = UserFactory.create(username="stranger", roles=["account_manager"])
    client.force_login(stranger)
    assert client.post(f"/notifications/{note.pk}/open").status_code == 404
    assert 'id="no-notifications"' in client.get("/notifications/").content.decode()


def test_the_api_lists_unread_and_marks_them_read(client, run, account_manager, team_lead):
    services.reassign_task(by=account_manager, task=_first_contact(run), to=team_lead)
    Notification.objects.create(user=team_lead, kind="notice", title="Older", url="/")
    client.force_login(team_lead)
    unread = client.get("/api/v1/notifications", {"unread": "true"}).json()
    assert unread["count"] == 2
    first = unread["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read").json()["read_at"] is not None
    assert client.get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 1
    assert client.post("/api/v1/notifications/read").json() == {"marked": 1}
    assert client.get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 0
