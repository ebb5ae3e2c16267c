"""Demo change requests along the escalation pathway: a client saved on the retention
call, a cancellation approved and waiting for its date, a pause half approved, a pause
escalated to the department manager waiting for its first approval, a budget cut with a
credit waiting for finance, one returned, one still a draft; and the lists the
approval playbook writes to, filled with the demo staff and a vendor address."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from retainops.changes import services
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.demo import demo_clients
from retainops.clients.models import Client, Contract, ServiceLine
from retainops.core.models import User
from retainops.messaging.models import DistributionList, DistributionListMember
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Run, Task

VENDOR_ADDRESS = "notices@ad-vendor.example"


def _people() -> dict[str, User]:
    codes = ["account_manager", "retention_team", "approver", "department_manager"]
    codes += ["finance", "accounting", "operations_lead"]
    return {u.username: u for u in User.objects.filter(username__in=codes)}


def _fill_lists(people: dict[str, User]) -> None:
    notice = DistributionList.objects.get(code="change-notice")
    for username in ("operations_lead", "department_manager"):
        DistributionListMember.objects.get_or_create(
            distribution_list=notice, kind="user", user=people[username]
        )
    vendor = DistributionList.objects.get(code="vendor-notices")
    DistributionListMember.objects.get_or_create(
        distribution_list=vendor, kind="address", address=VENDOR_ADDRESS
    )


def _task(request: ChangeRequest, key: str) -> Task:
    run = Run.objects.filter(subject_type="change_request", subject_id=request.pk).latest("id")
    return Task.objects.get(run=run, step_key=key)


def _approve(request: ChangeRequest, people: dict[str, User], *keys: str) -> None:
    for key, username in zip(keys, ("approver", "department_manager", "finance"), strict=False):
        playbooks.decide_approval(
            by=people[username], task=_task(request, key), decision="approved", comment="Agreed"
        )


def _raise(
    client: Client, by: User, kind: str, reason: str, days: int, **fields: object
) -> ChangeRequest:
    return services.raise_change_request(
        by=by,
        client=client,
        kind=kind,
        reason=ChangeReason.objects.get(code=reason),
        escalation=str(fields.pop("escalation", "team_lead")),
        effective_date=timezone.localdate() + timedelta(days=days),
        **fields,  # type: ignore[arg-type]
    )


@transaction.atomic
def seed_requests() -> list[str]:
    """Once: the demo requests on active demo clients with an active contract (a contract
    change is refused for a client without one)."""
    active = demo_clients().filter(
        status=ClientStatus.ACTIVE,
        pk__in=Contract.objects.filter(status=ContractStatus.ACTIVE).values("client_id"),
    )
    clients = list(active.order_by("id")[:7])
    if ChangeRequest.objects.filter(client__in=clients).exists() or len(clients) < 7:
        return ["Demo change requests: already there."]
    people = _people()
    _fill_lists(people)
    am, retention = people["account_manager"], people["retention_team"]

    saved = _raise(clients[0], am, "retention", "poor-results", 30, escalation="retention_team")
    services.record_save_attempt(
        by=retention, request=saved, outcome="saved", notes="New reporting"
    )
    services.withdraw_change_request(by=retention, request=saved, reason="Saved on the call")

    leaving = _raise(
        clients[1], am, "cancellation", "switching-agency", 20, escalation="retention_team"
    )
    services.record_save_attempt(
        by=retention, request=leaving, outcome="lost", notes="Signed elsewhere"
    )
    services.submit_change_request(by=retention, request=leaving)
    _approve(leaving, people, "first_approval", "second_approval")
    playbooks.complete_task(by=people["accounting"], task=_task(leaving, "process"))

    pause = _raise(clients[2], am, "pause", "seasonal", 45, notes="Back in spring.")
    services.submit_change_request(by=am, request=pause)
    _approve(pause, people, "first_approval")

    review = _raise(
        clients[6],
        am,
        "pause",
        "poor-results",
        25,
        escalation="department_manager",
        notes="Wants a month without spend to review the results.",
    )
    services.submit_change_request(by=am, request=review)

    display = ServiceLine.objects.get(code="targeted-display")
    cut = _raise(
        clients[3],
        am,
        "contract_change",
        "budget-cut",
        35,
        credit_amount=Decimal("300.00"),
        lines=[services.LineChange(display, "budget", Decimal("900.00"))],
    )
    services.submit_change_request(by=am, request=cut)
    _approve(cut, people, "first_approval", "second_approval")

    returned = _raise(clients[4], am, "cancellation", "budget-cut", 10)
    services.submit_change_request(by=am, request=returned)
    playbooks.decide_approval(
        by=people["approver"],
        task=_task(returned, "first_approval"),
        decision="rejected",
        comment="Under contract until the end of the term; offer a pause",
    )

    _raise(clients[5], am, "cancellation", "closing", 60, notes="Owner retiring.")
    return ["Demo change requests: 7 along the escalation pathway."]
