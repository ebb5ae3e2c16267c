"""A small agency world for the browser tests that walk the main pages: one account
manager (who also leads operations, so the outbox is hers to see) with a client that has
a contact, a contract, a program with a portal link, a change request, a complaint, an
open task from the sales hand-off and an unread notification."""

import importlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from retainops.changes import services as changes
from retainops.changes.choices import ChangeKind, Escalation
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import Client, ClientTeamMember
from retainops.clients.testing import ClientFactory, ContactFactory, make_contract
from retainops.complaints import services as complaints
from retainops.complaints.choices import ComplaintChannel, Severity
from retainops.complaints.models import Complaint, ComplaintCategory
from retainops.core.models import Role, User
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.home.models import Notification, NotificationKind
from retainops.onboarding import portal
from retainops.onboarding.models import PortalLink, Program
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Task

HANDOFF = Path(playbooks.__file__).resolve().parent / "library" / "sales-handoff.yaml"
PASSWORD = "pass-word-1"
CLIENT_NAME = "Harbor Dental"
PROGRAM_NAME = "Harbor Dental search and display"


@dataclass
class World:
    user: User
    client: Client
    program: Program
    portal_path: str
    change_request: ChangeRequest
    complaint: Complaint
    task: Task


def build_world() -> World:
    """Everything the main pages show, made the way the product makes it where that is
    short (services), and as rows where only the page's look matters (a notification)."""
    importlib.import_module(
        "retainops.complaints.migrations.0002_reference_data"
    ).write_reference_data(django_apps, None)
    north = BusinessUnitFactory.create(code="north", name="North Media")
    amy = UserFactory.create(
        username="amy_am", roles=["account_manager", "operations_lead"], units=[north]
    )
    sol = UserFactory.create(username="sol_sales", roles=["sales_rep"], units=[north])
    client = ClientFactory.create(name=CLIENT_NAME, business_unit=north, industry="Dental care")
    ContactFactory.create(client=client, name="Hal Harbor", email="hal@harbor.example")
    for code, person in (("account_manager", amy), ("sales_rep", sol)):
        ClientTeamMember.objects.create(
            client=client, role=Role.objects.get(code=code), user=person
        )
    make_contract(client, {"sem": "2500"})

    run = playbooks.start_run(
        by=sol,
        playbook=playbooks.publish_playbook(by=amy, source=HANDOFF.read_text()).playbook,
        subject_id=client.pk,
        anchors={"sold": timezone.now() - timedelta(hours=1)},
    )
    task = Task.objects.filter(run=run, assignee=amy).first()
    assert task is not None, "the hand-off gives the account manager first contact"

    start = date.today() + timedelta(days=14)
    program = Program.objects.create(
        client=client, name=PROGRAM_NAME, start_date=start, end_date=start + timedelta(days=182)
    )
    link = PortalLink.objects.create(program=program, created_by=amy)

    request = changes.raise_change_request(
        by=amy,
        client=client,
        kind=ChangeKind.RETENTION,
        reason=ChangeReason.objects.filter(is_active=True).first(),
        escalation=Escalation.TEAM_LEAD,
        effective_date=date.today() + timedelta(days=30),
        notes="Asked on the monthly call whether the search budget pays off.",
    )
    complaint = complaints.raise_complaint(
        by=amy,
        client=client,
        channel=ComplaintChannel.PHONE,
        severity=Severity.HIGH,
        category=ComplaintCategory.objects.first(),
        summary="Monthly report late again",
        description="The report came two weeks late with no commentary.",
    )
    Notification.objects.create(
        user=amy,
        kind=NotificationKind.NOTICE,
        title=f"Complaint about {CLIENT_NAME} is waiting for a first response",
        url=reverse("complaints:detail", args=[complaint.pk]),
    )
    return World(
        user=amy,
        client=client,
        program=program,
        portal_path=reverse("portal:home", args=[portal.token_for(link)]),
        change_request=request,
        complaint=complaint,
        task=task,
    )
