"""The authorization sweep: for every operation of the OpenAPI document whose path names
an object (`/clients/{client_id}`, `/runs/{run_id}/anchors`...), a person of another
business unit is answered 404, and nothing changes.

The operations are read from the document, so a new one is swept as soon as it exists:
its path parameters must be in IDS (an object of the South unit) or VALUES (a valid
value that names no object), or the test fails and says which to add; an operation
whose object is not a unit's by design is in EXEMPT, with the reason, and an EXEMPT
entry the document no longer holds fails the test too.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from retainops.api import api
from retainops.audience import services as audience
from retainops.audience.models import DataSet, ImportRun, Source
from retainops.cadence import services as cadence
from retainops.cadence.models import ContactKind, Occurrence, PlanItem
from retainops.changes.models import ChangeReason, ChangeRequest, Removal
from retainops.clients.models import (
    Client,
    ClientTeamMember,
    ClientTool,
    Contact,
    Contract,
    Tool,
)
from retainops.clients.testing import ClientFactory, ContactFactory, make_contract
from retainops.complaints import services as complaints
from retainops.complaints.models import (
    BusinessCalendar,
    Complaint,
    ComplaintCategory,
    ImprovementAction,
)
from retainops.core.models import ApiToken, BusinessUnit, ImportJob, Role, SavedFilter, User
from retainops.core.testing import ApiCaller, UserFactory
from retainops.drops import services as drops
from retainops.drops.models import Agent, Drop, TrainingPack
from retainops.health.models import Scorecard
from retainops.home.models import Notification
from retainops.messaging.models import Meeting, Message
from retainops.onboarding.models import PortalLink, Program
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Playbook, Run, Task, TaskAttachment
from retainops.voice import links
from retainops.voice import services as voice
from retainops.voice.models import (
    ActionItem,
    FeedbackSession,
    FollowUp,
    SurveyDefinition,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday morning
PREFIX = "/api/v1"

PLAYBOOK = """
key: sweep-check
name: Sweep check
subject: client
trigger: manual
anchors: [start]
steps:
  - key: call
    title: Call the client
    owner: role:account_manager
    due: 1 day after start
"""


@dataclass
class South:
    """One object of every kind a path names, all of the South unit."""

    unit: BusinessUnit
    person: User
    operations_lead: User
    client: Client
    contact: Contact
    client_tool: ClientTool
    contract: Contract
    message: Message
    meeting: Meeting
    run: Run
    task: Task
    attachment: TaskAttachment
    program: Program
    link: PortalLink
    change_request: ChangeRequest
    removal: Removal
    plan_item: PlanItem
    occurrence: Occurrence
    complaint: Complaint
    improvement_action: ImprovementAction
    follow_up: FollowUp
    session: FeedbackSession
    action_item: ActionItem
    drop: Drop
    pack: TrainingPack
    agent: Agent
    data_set: DataSet
    source: Source
    import_run: ImportRun
    import_job: ImportJob
    scorecard: Scorecard
    notification: Notification
    saved_filter: SavedFilter


# Path parameter -> the id of South's object it names. A parameter of a new operation
# that is not here (nor in VALUES) fails the sweep: add the object it names to South.
IDS: dict[str, Callable[[South], Any]] = {
    "client_id": lambda s: s.client.pk,
    "contact_id": lambda s: s.contact.pk,
    "entry_id": lambda s: s.client_tool.pk,
    "contract_id": lambda s: s.contract.pk,
    "message_id": lambda s: s.message.pk,
    "meeting_id": lambda s: s.meeting.pk,
    "run_id": lambda s: s.run.pk,
    "task_id": lambda s: s.task.pk,
    "attachment_id": lambda s: s.attachment.pk,
    "program_id": lambda s: s.program.pk,
    "link_id": lambda s: s.link.pk,
    "request_id": lambda s: s.change_request.pk,
    "removal_id": lambda s: s.removal.pk,
    "item_id": lambda s: s.plan_item.pk,
    "occurrence_id": lambda s: s.occurrence.pk,
    "complaint_id": lambda s: s.complaint.pk,
    "action_id": lambda s: s.improvement_action.pk,
    "follow_up_id": lambda s: s.follow_up.pk,
    "session_id": lambda s: s.session.pk,
    "drop_id": lambda s: s.drop.pk,
    "pack_id": lambda s: s.pack.pk,
    "data_set_id": lambda s: s.data_set.pk,
    "source_id": lambda s: s.source.pk,
    "card_id": lambda s: s.scorecard.pk,
    # A notification is its person's alone: anyone else gets 404.
    "notification_id": lambda s: s.notification.pk,
    # So is a saved filter.
    "filter_id": lambda s: s.saved_filter.pk,
    "job_id": lambda s: s.import_job.pk,
    "username": lambda s: s.person.username,
}

# Where one parameter name names two kinds of object, the path's start says which.
IDS_BY_PATH: dict[tuple[str, str], Callable[[South], Any]] = {
    ("/audience/imports/", "run_id"): lambda s: s.import_run.pk,
    ("/feedback-meetings/actions/", "action_id"): lambda s: s.action_item.pk,
}

# Parameters that name no object: a valid value, so that only the object can be missing.
VALUES: dict[str, Any] = {
    "role_code": "account_manager",
    "service_code": "seo",  # the contract's line
    "transition": "pause",
    "step": "acknowledge",
    "gate": "script",
    "day": "2026-11-25",
}

# Operations whose path names no object of a business unit, by design.
EXEMPT: dict[tuple[str, str], str] = {}


def _exempt(reason: str, *operations: str) -> None:
    for operation in operations:
        method, path = operation.split(" ", 1)
        EXEMPT[(method, path)] = reason


_exempt(
    "People and business units are the administrator's, across units (capability-checked)",
    "GET /users/{user_id}",
    "PUT /users/{user_id}/access",
    "PATCH /business-units/{unit_id}",
    "POST /business-units/{unit_id}/retire",
)
_exempt(
    "Catalogues every unit shares: services, tools, change reasons, order requirements",
    "PATCH /services/{service_id}",
    "POST /services/{service_id}/retire",
    "PATCH /tools/{tool_id}",
    "POST /tools/{tool_id}/retire",
    "PATCH /change-reasons/{code}",
    "POST /change-reasons/{code}/retire",
    "PATCH /requirements/{requirement_id}",
    "DELETE /requirements/{requirement_id}",
)
_exempt(
    "Messaging configuration every unit shares: templates, distribution lists, webhooks",
    "GET /message-templates/{template_id}",
    "PATCH /message-templates/{template_id}",
    "POST /message-templates/{template_id}/preview",
    "GET /distribution-lists/{list_id}",
    "PATCH /distribution-lists/{list_id}",
    "POST /distribution-lists/{list_id}/members",
    "DELETE /distribution-lists/{list_id}/members/{member_id}",
    "PATCH /chat-webhooks/{webhook_id}",
)
_exempt(
    "Playbook definitions are shared; their runs and tasks are swept",
    "GET /playbooks/{key}",
    "GET /playbooks/{key}/versions/{number}",
    "POST /playbooks/{key}/retire",
    "POST /playbooks/{key}/restore",
)
_exempt(
    "Configuration by operations (capability-checked), read by every unit's staff: "
    "approval routes, service levels, business hours, response profiles",
    "DELETE /approval-routes/{route_id}",
    "PATCH /service-levels/{policy_id}",
    "GET /business-units/{unit_id}/business-hours",
    "PUT /business-units/{unit_id}/business-hours",
    "PUT /response-profiles/{channel}",
)
_exempt(
    "Import and export name a kind of file, not an object: an export holds the clients "
    "and contracts the caller sees",
    "POST /imports/{kind}",
    "GET /exports/{kind}.{fmt}",
)
_exempt(
    "A grouping (unit, account manager, service line), not an object: the figures count "
    "only the clients the caller sees",
    "GET /voice/figures/by/{by}",
)
_exempt(
    "Performance-data sources are shared: a platform export reads the same for every unit",
    "PUT /metric-sources/{key}",
)
_exempt(
    "No account: the signed token in the path is the credential, and a wrong, revoked "
    "or expired one is not found (onboarding/portal.py, voice/links.py)",
    "GET /portal/{token}",
    "POST /portal/{token}/details",
    "POST /portal/{token}/proofs/{version_id}/decision",
    "GET /surveys/answer/{token}",
    "POST /surveys/answer/{token}",
)

# Operations refused by role before anything is looked up: North's account manager is
# answered 403; they are swept again as North's operations lead, who holds the role.
BY_ROLE: dict[tuple[str, str], str] = {
    ("GET", "/messages/{message_id}"): "operations_lead",
    ("POST", "/messages/{message_id}/retry"): "operations_lead",
}

# Bodies where `{}` would be refused by the schema before the object is looked up.
LATER = "2026-11-26T10:00:00+00:00"
BODIES: dict[tuple[str, str], Callable[[South], Any]] = {
    ("POST", "/audience/data-sets/{data_set_id}/rules"): lambda s: {
        "name": "Mail the loyal",
        "channel": "mail",
    },
    ("POST", "/audience/data-sets/{data_set_id}/sources"): lambda s: {"name": "Marketplace"},
    ("PUT", "/audience/sources/{source_id}/mapping"): lambda s: {"order_id": "Order"},
    ("POST", "/change-requests/{request_id}/hand-over"): lambda s: {"to": s.person.username},
    ("POST", "/change-requests/{request_id}/save-attempts"): lambda s: {"outcome": "saved"},
    ("POST", "/clients/{client_id}/plan"): lambda s: {
        "kind": "call",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=1",
        "starts_on": "2026-12-01",
    },
    ("POST", "/clients/{client_id}/touchpoints"): lambda s: {"channel": "call"},
    ("POST", "/clients/{client_id}/transitions"): lambda s: {"transition": "give_notice"},
    ("POST", "/complaints/{complaint_id}/actions"): lambda s: {
        "title": "Check the report",
        "owner": s.person.username,
        "due_date": "2026-12-15",
    },
    ("POST", "/complaints/{complaint_id}/reassign"): lambda s: {"owner": s.person.username},
    ("POST", "/complaints/{complaint_id}/reopen"): lambda s: {"reason": "Still late"},
    ("POST", "/contracts/{contract_id}/transitions"): lambda s: {"transition": "cancel"},
    ("POST", "/drops/{drop_id}/actuals"): lambda s: {"csv": "interval,contacts\n"},
    ("POST", "/feedback-meetings/sessions/{session_id}/hold"): lambda s: {"minutes": "Met."},
    ("POST", "/health/scorecards/{card_id}/versions"): lambda s: {
        "green_from": 70,
        "amber_from": 40,
        "measures": [{"signal": "days_since_touch", "weight": 1, "good": 7, "bad": 60}],
    },
    ("POST", "/meetings/{meeting_id}/move"): lambda s: {
        "starts_at": LATER,
        "ends_at": "2026-11-26T11:00:00+00:00",
    },
    ("POST", "/occurrences/{occurrence_id}/move"): lambda s: {"due_at": LATER},
    ("POST", "/occurrences/{occurrence_id}/skip"): lambda s: {"reason": "On holiday"},
    ("POST", "/programs/{program_id}/go-live"): lambda s: {"at": "2026-12-01T09:00:00+00:00"},
    ("PUT", "/programs/{program_id}/lines"): lambda s: {
        "lines": [{"service": "seo", "monthly_budget": "900.00"}]
    },
    ("PATCH", "/programs/{program_id}/order"): lambda s: {"details": {}},
    ("POST", "/runs/{run_id}/anchors"): lambda s: {"name": "start", "at": LATER},
    ("POST", "/tasks/{task_id}/comment"): lambda s: {"body": "Called, no answer."},
    ("POST", "/tasks/{task_id}/decide"): lambda s: {"decision": "approved"},
    ("POST", "/tasks/{task_id}/reassign"): lambda s: {"to": s.person.username},
    ("POST", "/training-packs/{pack_id}/acknowledge"): lambda s: {"agent_email": s.agent.email},
}

# Operations whose body is multipart (a file): the file, by form field.
MULTIPART: dict[tuple[str, str], str] = {
    ("POST", "/audience/sources/{source_id}/imports"): "file",
}


def _operations() -> list[tuple[str, str]]:
    document = api.get_openapi_schema()
    found = []
    for path, operations in document["paths"].items():
        if "{" not in path:
            continue
        assert path.startswith(PREFIX)
        for method in operations:
            found.append((method.upper(), path.removeprefix(PREFIX)))
    return sorted(found, key=lambda op: (op[1], op[0]))


def _parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _value(south: South, path: str, name: str) -> Any:
    for (start, parameter), get in IDS_BY_PATH.items():
        if parameter == name and path.startswith(start):
            return get(south)
    if name in IDS:
        return IDS[name](south)
    return VALUES[name]


def _url(south: South, path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(_value(south, path, m.group(1))), path)


def _call(caller: ApiCaller, south: South, method: str, path: str) -> Any:
    url = _url(south, path)
    if method == "GET":
        return caller.get(url)
    if method == "DELETE":
        return caller.delete(url)
    if (method, path) in MULTIPART:
        upload = SimpleUploadedFile("orders.csv", b"Order,Date\n1,2026-11-01\n", "text/csv")
        form = {MULTIPART[(method, path)]: upload}
        return caller.http.generic(
            method, f"{PREFIX}{url}", **_multipart(form), headers=caller.headers
        )
    body = BODIES[(method, path)](south) if (method, path) in BODIES else {}
    return getattr(caller, method.lower())(url, body)


def _multipart(form: dict[str, Any]) -> dict[str, Any]:
    return {"data": encode_multipart(BOUNDARY, form), "content_type": MULTIPART_CONTENT}


def _excerpt(response: Any) -> str:
    return response.content[:160].decode(errors="replace")


def _row_counts() -> dict[str, int]:
    counted = {}
    for model in apps.get_models():
        # Each caller is issued a token; every other row of the project's is counted.
        if model.__module__.startswith("retainops.") and model is not ApiToken:
            counted[model._meta.label] = model._default_manager.count()
    return counted


def _rows(south: South) -> dict[str, list[dict[str, Any]]]:
    """Every stored value of South's objects."""
    kept = {}
    for name, value in vars(south).items():
        if isinstance(value, models.Model):
            kept[name] = list(type(value)._default_manager.filter(pk=value.pk).values())
    return kept


# Building South ---------------------------------------------------------------------------


def _build_south(unit: BusinessUnit, person: User) -> South:
    ops = UserFactory.create(username="sol_south_ops", roles=["operations_lead"], units=[unit])
    BusinessCalendar.objects.create(
        business_unit=unit,
        time_zone="Europe/London",
        working_days=[1, 2, 3, 4, 5],
        opens_at=time(9),
        closes_at=time(17),
    )
    client = ClientFactory.create(name="Southern Smiles", business_unit=unit)
    client.go_live()
    client.save()
    ClientTeamMember.objects.create(
        client=client, role=Role.objects.get(code="account_manager"), user=person
    )
    contact = ContactFactory.create(client=client, name="Sue South", email="sue@south.example")
    tool = Tool.objects.get(code="crm")
    client_tool = ClientTool.objects.create(client=client, tool=tool, reference="crm-1")
    contract = make_contract(client, {"seo": "1000.00"})
    message = Message.objects.create(
        channel="email", client=client, subject="Report", body_text="Your report."
    )
    meeting = Meeting.objects.create(
        client=client,
        title="Review",
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=2, hours=1),
        organizer=person,
    )
    playbooks.publish_playbook(by=ops, source=PLAYBOOK)
    run = playbooks.start_run(
        by=person,
        playbook=Playbook.objects.get(key="sweep-check"),
        subject_id=client.pk,
        anchors={"start": NOW},
    )
    task = run.tasks.get()
    attachment = TaskAttachment.objects.create(
        task=task,
        filename="notes.txt",
        content_type="text/plain",
        content=b"notes",
        size=5,
        uploaded_by=person,
    )
    program = Program.objects.create(
        client=client,
        name="Winter whitening",
        start_date=date(2026, 12, 1),
        end_date=date(2027, 2, 28),
    )
    link = PortalLink.objects.create(program=program, created_by=person)
    change_request = ChangeRequest.objects.create(
        client=client,
        kind="pause",
        reason=ChangeReason.objects.get(code="budget-cut"),
        escalation="retention_team",
        effective_date=date(2026, 12, 31),
        raised_by=person,
    )
    removal = Removal.objects.create(request=change_request, tool=tool)
    plan_item = cadence.add_plan_item(
        by=person,
        client=client,
        kind=ContactKind.objects.get(code="call"),
        rrule="FREQ=WEEKLY",
        starts_on=date(2026, 11, 25),
        channel="call",
        owner_user=person,
    )
    occurrence = Occurrence.objects.filter(item=plan_item).order_by("due_at").first()
    assert occurrence is not None
    complaint = complaints.raise_complaint(
        by=person,
        client=client,
        channel="phone",
        severity="high",
        category=ComplaintCategory.objects.filter(is_active=True).first(),
        summary="Report late",
        description="The monthly report came late.",
    )
    improvement_action = ImprovementAction.objects.create(
        complaint=complaint, title="Send on time", owner=person, due_date=date(2026, 12, 15)
    )
    survey = voice.send_survey(
        by=person, definition=SurveyDefinition.objects.get(code="nps"), client=client
    )
    invitation = survey.invitations.order_by("id").first()
    assert invitation is not None
    answer = voice.answer_survey(token=links.token_for(invitation), raw={"score": "5"})
    follow_up = FollowUp.objects.get(answer=answer)
    series = voice.schedule_feedback_meeting(
        by=person,
        client=client,
        title="Quarterly feedback",
        starts_at=NOW + timedelta(days=7),
        attendees=[contact.email],
    )
    session = series.sessions.order_by("starts_at").first()
    assert session is not None
    action_item = ActionItem.objects.create(
        session=session,
        series=series,
        title="Share the plan",
        owner=person,
        due_date=date(2026, 12, 1),
    )
    drop = drops.plan_drop(
        program=program,
        by=person,
        name="Winter mailing",
        channel="mail",
        drop_at=NOW + timedelta(days=30),
        audience_size=10000,
        expected_response_rate=0.02,
    )
    pack = TrainingPack.objects.create(program=program, version=1, scripts="Hello.")
    agent = Agent.objects.create(name="Ann Agent", email="ann@agents.example")
    data_set = audience.create_data_set(by=person, client=client, name="Orders")
    source = audience.add_source(by=person, data_set=data_set, name="Own store")
    import_run = ImportRun.objects.create(
        source=source, file_name="orders.csv", stored_as="uploads/orders.csv"
    )
    import_job = ImportJob.objects.create(
        kind="clients", file_name="clients.csv", stored_as="clients.csv", requested_by=person
    )
    scorecard = Scorecard.objects.create(business_unit=unit, name="South health")
    notification = Notification.objects.create(
        user=person, kind="notice", title="Report late", url=f"/clients/{client.pk}/"
    )
    saved_filter = SavedFilter.objects.create(
        user=person, page="clients", name="Paused", query="status=paused"
    )
    return South(
        unit=unit,
        person=person,
        operations_lead=ops,
        client=client,
        contact=contact,
        client_tool=client_tool,
        contract=contract,
        message=message,
        meeting=meeting,
        run=run,
        task=task,
        attachment=attachment,
        program=program,
        link=link,
        change_request=change_request,
        removal=removal,
        plan_item=plan_item,
        occurrence=occurrence,
        complaint=complaint,
        improvement_action=improvement_action,
        follow_up=follow_up,
        session=session,
        action_item=action_item,
        drop=drop,
        pack=pack,
        agent=agent,
        data_set=data_set,
        source=source,
        import_run=import_run,
        import_job=import_job,
        scorecard=scorecard,
        notification=notification,
        saved_filter=saved_filter,
    )


# The sweep --------------------------------------------------------------------------------


def test_every_parameter_names_a_south_object_or_a_value() -> None:
    operations = _operations()
    unknown = sorted(
        {
            f"{name} (in {method} {path})"
            for method, path in operations
            if (method, path) not in EXEMPT
            for name in _parameters(path)
            if name not in IDS
            and name not in VALUES
            and not any(p == name and path.startswith(s) for s, p in IDS_BY_PATH)
        }
    )
    assert unknown == [], (
        "Path parameters the authorization sweep does not know: add each to IDS (with an "
        "object of South built in _build_south) or to VALUES, or exempt the operation "
        f"with its reason: {unknown}"
    )
    stale = sorted(set(EXEMPT) - set(operations))
    assert stale == [], f"EXEMPT names operations the document no longer has: {stale}"
    stale_roles = sorted(set(BY_ROLE) - set(operations))
    assert stale_roles == [], f"BY_ROLE names operations the document no longer has: {stale_roles}"


def test_another_units_objects_are_not_found(
    account_manager: User, south: BusinessUnit, south_account_manager: User, north: BusinessUnit
) -> None:
    """Every swept operation, called by North's account manager on South's objects, is
    answered 404 (403 where BY_ROLE says, then 404 to North's holder of that role), and
    no row changes; the same calls by South's own people find every object."""
    with time_machine.travel(NOW, tick=False):
        south_objects = _build_south(south, south_account_manager)
        swept = [op for op in _operations() if op not in EXEMPT]
        north_ops = UserFactory.create(
            username="otto_north_ops", roles=["operations_lead"], units=[north]
        )
        as_north = {
            "account_manager": ApiCaller(account_manager),
            "operations_lead": ApiCaller(north_ops),
        }
        counts, rows = _row_counts(), _rows(south_objects)

        leaks = []
        for method, path in swept:
            answer = _call(as_north["account_manager"], south_objects, method, path)
            expected = 403 if (method, path) in BY_ROLE else 404
            if answer.status_code != expected:
                leaks.append((method, path, answer.status_code, _excerpt(answer)))
            if (method, path) in BY_ROLE:
                holder = as_north[BY_ROLE[(method, path)]]
                answer = _call(holder, south_objects, method, path)
                if answer.status_code != 404:
                    leaks.append((method, path, answer.status_code, _excerpt(answer)))
        assert leaks == [], "\n".join(map(str, leaks))
        assert _row_counts() == counts
        assert _rows(south_objects) == rows

        # The ids and bodies are real: South's own people find every object (each call is
        # undone, so that one does not change what the next finds).
        as_south = {
            "account_manager": ApiCaller(south_account_manager),
            "operations_lead": ApiCaller(south_objects.operations_lead),
        }
        not_found = []
        for method, path in swept:
            with transaction.atomic():
                caller = as_south[BY_ROLE.get((method, path), "account_manager")]
                answer = _call(caller, south_objects, method, path)
                transaction.set_rollback(True)
            if answer.status_code == 404:
                not_found.append((method, path, _excerpt(answer)))
        assert not_found == [], "\n".join(map(str, not_found))
        assert len(swept) > 100, "the document's operations were not read"
