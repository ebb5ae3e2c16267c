"""`seed_demo`: a demo data set a newcomer can log in to, whose history reads true."""

import html
import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.http import HttpRequest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from retainops.changes.choices import ChangeKind, ChangeStatus, SaveOutcome
from retainops.changes.models import ChangeRequest
from retainops.clients import demo
from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import (
    Client,
    ClientTeamMember,
    ClientTool,
    Contact,
    Contract,
    ContractLine,
)
from retainops.clients.queries import with_mrr
from retainops.core.choices import RoleCode
from retainops.core.models import BusinessUnit, DemoMarker, Team, User
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program
from retainops.playbooks.choices import StepKind, TaskState
from retainops.playbooks.models import Task
from retainops.playbooks.queries import in_my_queues

pytestmark = pytest.mark.django_db

DEMO_LOGINS = [*RoleCode.values, "admin"]
SEEDED_MODELS: list[Any] = [
    BusinessUnit,
    User,
    Team,
    Client,
    ClientTeamMember,
    Contact,
    ClientTool,
    Contract,
    ContractLine,
]


def run_seed(clients: int = 30) -> str:
    out = StringIO()
    call_command("seed_demo", clients=clients, history_clients=0, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return run_seed()


def row_counts() -> dict[str, int]:
    """Rows of everything the seed writes, audit history included."""
    counts = {"DemoMarker": DemoMarker.objects.count()}
    for model in SEEDED_MODELS:
        counts[model.__name__] = model.objects.count()
        counts[f"{model.__name__} history"] = get_history_manager_for_model(model).count()
    return counts


def test_two_units_and_a_login_per_role_with_password_demo(seeded: str) -> None:
    units = set(BusinessUnit.objects.values_list("code", flat=True))
    assert units == {"northwind", "bluefin"}
    for username in DEMO_LOGINS:
        user = User.objects.get(username=username)
        expected_role = "administrator" if username == "admin" else username
        assert user.check_password("demo")
        assert user.role_codes() == {expected_role}
        assert len(user.unit_ids()) == 2, "demo logins see both units"
        assert user.get_full_name()
    assert HttpClient().login(request=HttpRequest(), username="admin", password="demo")
    assert HttpClient().login(request=HttpRequest(), username="account_manager", password="demo")


def test_extra_staff_and_teams_per_unit(seeded: str) -> None:
    for unit in BusinessUnit.objects.all():
        account_managers = User.objects.filter(roles__code="account_manager", business_units=unit)
        assert account_managers.count() >= 3
        teams = Team.objects.filter(business_unit=unit)
        assert teams.count() == 2
        assert all(team.members.exists() for team in teams)


def test_marker_lists_the_demo_logins(seeded: str) -> None:
    assert DemoMarker.objects.count() == 1
    assert sorted(DemoMarker.demo_usernames()) == sorted(DEMO_LOGINS)


def test_statuses_mix_and_output_reports_them(seeded: str) -> None:
    statuses = list(Client.objects.values_list("status", flat=True))
    assert len(statuses) == 30
    assert {ClientStatus.ACTIVE, ClientStatus.CANCELLED, ClientStatus.PAUSED} <= set(statuses)
    assert statuses.count(ClientStatus.ACTIVE) > len(statuses) * 0.4
    assert "Demo clients: 30 (30 added)" in seeded
    assert f"Active {statuses.count(ClientStatus.ACTIVE)}" in seeded


def test_every_active_client_has_mrr(seeded: str) -> None:
    # `mrr` is an annotation, unknown to the type checker.
    active: Any = with_mrr(Client.objects.filter(status=ClientStatus.ACTIVE))
    mrrs = [client.mrr for client in active]
    assert mrrs
    assert all(mrr > 0 for mrr in mrrs)


def test_contracts_agree_with_the_client_status(seeded: str) -> None:
    running = {ContractStatus.ACTIVE, ContractStatus.PAUSED, ContractStatus.DRAFT}
    for client in Client.objects.prefetch_related("contracts"):
        statuses = [contract.status for contract in client.contracts.all()]
        if client.status == ClientStatus.CANCELLED:
            assert not running & set(statuses), client
        elif client.status == ClientStatus.PAUSED:
            assert statuses.count(ContractStatus.PAUSED) == 1, client
        elif client.status == ClientStatus.ACTIVE:
            assert statuses.count(ContractStatus.ACTIVE) == 1, client


def test_clients_have_a_team_contacts_and_tools(seeded: str) -> None:
    for client in Client.objects.prefetch_related("team__role", "contacts", "tools"):
        roles = {member.role.code for member in client.team.all()}
        assert {"sales_rep", "client_success_manager", "account_manager"} <= roles
        emails = [contact.email for contact in client.contacts.all()]
        assert 1 <= len(emails) <= 3
        assert all(email.endswith(".example") for email in emails)
        if client.status != ClientStatus.ONBOARDING:
            assert client.tools.exists(), client


def test_history_is_backdated_over_two_years(seeded: str) -> None:
    now = timezone.now()
    span = Client.history.aggregate(first=Min("history_date"), last=Max("history_date"))
    assert span["last"] <= now
    assert span["last"] - span["first"] > timedelta(days=365)
    for client in Client.objects.all():
        rows = list(client.history.order_by("history_date", "history_id"))
        assert rows[0].history_type == "+"
        assert timezone.localdate(rows[0].history_date) == client.sold_on
        assert rows[0].status == ClientStatus.ONBOARDING
        assert rows[-1].status == client.status, "every status change has its row"
        assert client.created_at == rows[0].history_date


def test_history_records_who_and_why(seeded: str) -> None:
    changes = Client.history.filter(history_type="~")
    assert changes.exists()
    assert not changes.filter(history_user__isnull=True).exists()
    reasons = set(changes.values_list("history_change_reason", flat=True))
    assert {"status: go_live", "status: cancel", "status: pause"} <= reasons


def test_second_run_adds_nothing(seeded: str) -> None:
    before = row_counts()
    output = run_seed()
    assert row_counts() == before
    assert "nothing to add" in output


def test_more_clients_adds_only_the_difference(seeded: str) -> None:
    first = dict(Client.objects.values_list("external_id", "name"))
    before = row_counts()
    output = run_seed(clients=40)
    after = dict(Client.objects.values_list("external_id", "name"))
    assert len(after) == 40
    assert {key: after[key] for key in first} == first
    assert row_counts()["User"] == before["User"]
    assert row_counts()["DemoMarker"] == 1
    assert "Demo clients: 40 (10 added)" in output


def test_names_are_unique_and_stable_per_index(seeded: str) -> None:
    names = dict(Client.objects.values_list("external_id", "name"))
    assert len(set(names.values())) == len(names)
    for index in range(30):
        expected, _industry = demo.company_name(index, demo.DEFAULT_SEED)
        assert names[f"DEMO-{index + 1:05d}"] == expected


def test_negative_client_count_is_refused() -> None:
    with pytest.raises(CommandError):
        call_command("seed_demo", clients=-1, stdout=StringIO())


# The processes the demo starts (README, "Demo logins") --------------------------------------

# Where a program waits on its way to go-live, in the playbook's order: the columns of the
# board (the introduction and the launch confirmation are e-mails, sent as they open).
ONBOARDING_STAGES = [
    "Internal production meeting on the order",
    "Collect the missing order details",
    "Design meeting on the campaign's vision",
    "Client approves creative and targeting",
    "Build the campaign and set it live",
    "QA check once data flows",
]
# Enough demo clients for a program at every stage: 4 in 50 are still onboarding.
CLIENTS_FOR_EVERY_STAGE = 100


def board_columns(page: str) -> dict[str, list[str]]:
    """The onboarding board's columns, in order, with the program names in each."""
    columns = re.findall(
        r'<section class="board-column" aria-label="([^"]*)">(.*?)</section>', page, re.S
    )
    return {
        html.unescape(title): re.findall(r"<h3><a [^>]*>(.*?)</a></h3>", body)
        for title, body in columns
    }


def test_the_onboarding_board_has_a_program_at_each_stage() -> None:
    output = run_seed(clients=CLIENTS_FOR_EVERY_STAGE)
    browser = HttpClient()
    browser.force_login(User.objects.get(username="account_manager"))

    columns = board_columns(browser.get(reverse("onboarding:board")).content.decode())

    assert list(columns) == ONBOARDING_STAGES
    assert all(len(programs) == 1 for programs in columns.values()), columns
    assert Program.objects.filter(status=ProgramStatus.DRAFT).count() == 1  # not sold yet
    # The performance and drops stories add live programs of their own, off the board.
    live = Program.objects.filter(status=ProgramStatus.LIVE)
    assert live.exists() and live.exclude(went_live_at=None).exists()
    assert "Demo programs: 7, one at every onboarding stage." in output


def test_too_few_onboarding_clients_are_reported_as_stages_missing(seeded: str) -> None:
    assert Client.objects.filter(status=ClientStatus.ONBOARDING).count() == 1
    assert "Demo programs: 1 of 7 onboarding stages (draft)." in seeded


def open_decisions(username: str) -> list[str]:
    """The change-request approvals waiting in this demo login's queues."""
    queue = in_my_queues(User.objects.get(username=username))
    decisions = queue.filter(run__subject_type="change_request", kind=StepKind.APPROVAL)
    return sorted(decisions.values_list("step_key", flat=True))


def test_change_requests_stand_at_each_point_of_the_escalation_pathway(seeded: str) -> None:
    requests = {
        request.status: request for request in ChangeRequest.objects.prefetch_related("saves")
    }
    assert ChangeRequest.objects.count() == 7
    assert set(requests) == {
        ChangeStatus.DRAFT,
        ChangeStatus.WITHDRAWN,
        ChangeStatus.SUBMITTED,
        ChangeStatus.RETURNED,
        ChangeStatus.PROCESSED,
    }
    saved = requests[ChangeStatus.WITHDRAWN]
    assert saved.kind == ChangeKind.RETENTION
    assert [s.outcome for s in saved.saves.all()] == [SaveOutcome.SAVED]
    lost = requests[ChangeStatus.PROCESSED]
    assert (lost.kind, [s.outcome for s in lost.saves.all()]) == (
        ChangeKind.CANCELLATION,
        [SaveOutcome.LOST],
    )
    waiting_for_its_date = Task.objects.get(
        run__subject_type="change_request", run__subject_id=lost.pk, step_key="take_effect"
    )
    assert waiting_for_its_date.state == TaskState.OPEN
    assert open_decisions("department_manager") == ["second_approval"]
    assert open_decisions("finance") == ["finance_approval"]  # the credit on a budget cut


def test_the_approver_has_a_change_request_to_decide(seeded: str) -> None:
    assert open_decisions("approver") == ["first_approval"]
