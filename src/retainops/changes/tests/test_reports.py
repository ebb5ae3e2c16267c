"""The retention reports count requests, not calls: each request once, by its final outcome
(what happened once it took effect, else its latest save attempt). The save rate is the
retention team's, over the requests someone holding the retention_team role called on;
revenue saved and lost splits each counted request's MRR when raised (3,000.00 for
Harbor Dental: display 2,000 + SEO 1,000) by that outcome, whoever made the call.

The people: Amy (account manager), Rita (retention team), Jules (approver), Dora
(department manager)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from retainops.changes import queries, services
from retainops.changes.choices import ChangeStatus
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import Client, ServiceLine
from retainops.core.models import User
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Run, Task

from .conftest import START

pytestmark = pytest.mark.usefixtures("approval_playbook", "lists")

# Effective on the day of START: approved and processed, a request takes effect at once.
TODAY = date(2026, 11, 24)


@dataclass(frozen=True)
class Case:
    """One request: its kind, the calls on it (by Rita unless "amy:" says Amy), how it
    ends (open, effective, withdrawn), and what the reports must count of it."""

    kind: str
    calls: tuple[str, ...]
    end: str
    saved: str
    lost: str
    rate: tuple[int, int]  # requests in the retention team's save rate, of them kept
    display_to: str | None = None  # a contract line: the display budget becomes this
    attempts: int | None = None  # the team's calls counted, when the case says


CASES = {
    "saved as is": Case("retention", ("saved",), "open", "3000", "0", (1, 1)),
    "saved with a change, before its date: the new MRR its lines leave": Case(
        "contract_change", ("saved_with_change",), "open", "2200", "800", (1, 1), "1200"
    ),
    "saved with a change, in effect: the MRR it took effect with": Case(
        "contract_change", ("saved_with_change",), "effective", "2200", "800", (1, 1), "1200"
    ),
    "paused instead: the contract resumes at its MRR": Case(
        "cancellation", ("paused",), "open", "3000", "0", (1, 1)
    ),
    "a pause in effect, nobody called: saved, not in the team's rate": Case(
        "pause", (), "effective", "3000", "0", (0, 0)
    ),
    "lost": Case("cancellation", ("lost",), "open", "0", "3000", (1, 0)),
    "a cancellation in effect though the call said saved: lost": Case(
        "cancellation", ("saved",), "effective", "0", "3000", (1, 0)
    ),
    "withdrawn after a save": Case("cancellation", ("saved",), "withdrawn", "3000", "0", (1, 1)),
    "withdrawn after a lost call: the client did not leave through it": Case(
        "cancellation", ("lost",), "withdrawn", "0", "0", (0, 0)
    ),
    "called twice, lost then saved: once, by the latest": Case(
        "cancellation", ("lost", "saved"), "open", "3000", "0", (1, 1), attempts=2
    ),
    "only the account manager called: revenue counts, the team's rate does not": Case(
        "retention", ("amy:saved",), "open", "3000", "0", (0, 0)
    ),
    "no call, not in effect: counted nowhere": Case("cancellation", (), "open", "0", "0", (0, 0)),
}


def _decide_all(request: ChangeRequest, approver: User, department_manager: User) -> None:
    run = Run.objects.get(subject_type="change_request", subject_id=request.pk)
    for key, by in (("first_approval", approver), ("second_approval", department_manager)):
        playbooks.decide_approval(
            by=by, task=Task.objects.get(run=run, step_key=key), decision="approved"
        )


@pytest.fixture
def play(
    harbor: Client,
    account_manager: User,
    retention_rep: User,
    approver: User,
    department_manager: User,
    accountant: User,
    budget_cut: ChangeReason,
    clock: time_machine.Traveller,
) -> Callable[[Case], ChangeRequest]:
    def make(case: Case) -> ChangeRequest:
        lines = []
        if case.display_to:
            display = ServiceLine.objects.get(code="targeted-display")
            lines = [services.LineChange(display, "budget", Decimal(case.display_to))]
        request = services.raise_change_request(
            by=account_manager,
            client=harbor,
            kind=case.kind,
            reason=budget_cut,
            escalation="team_lead",
            effective_date=TODAY,
            lines=lines,
        )
        for minutes, call in enumerate(case.calls, start=1):
            clock.move_to(START + timedelta(minutes=minutes))
            who, _, outcome = call.rpartition(":")
            by = account_manager if who == "amy" else retention_rep
            services.record_save_attempt(by=by, request=request, outcome=outcome)
        submitter = retention_rep if services.retention_involved(request) else account_manager
        if case.end == "effective":
            services.submit_change_request(by=submitter, request=request)
            _decide_all(request, approver, department_manager)
            run = Run.objects.get(subject_type="change_request", subject_id=request.pk)
            playbooks.complete_task(by=accountant, task=run.tasks.get(step_key="process"))
        elif case.end == "withdrawn":
            services.withdraw_change_request(
                by=account_manager, request=request, reason="The client stayed"
            )
        request.refresh_from_db()
        expected = {"open": ChangeStatus.DRAFT, "effective": ChangeStatus.EFFECTIVE}
        assert request.status == expected.get(case.end, ChangeStatus.WITHDRAWN)
        return request

    return make


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_request_counts_once_by_its_final_outcome(
    case: Case, play: Callable[[Case], ChangeRequest], account_manager: User
):
    play(case)

    report = queries.reports(account_manager)

    assert (report.revenue_saved, report.revenue_lost) == (Decimal(case.saved), Decimal(case.lost))
    assert (report.save_rate.requests, report.save_rate.saved) == case.rate
    if case.attempts is not None:
        assert report.save_rate.attempts == case.attempts


def test_the_save_rate_is_the_retention_teams_over_the_requests_it_called_on(
    play: Callable[[Case], ChangeRequest], account_manager: User, clock: time_machine.Traveller
):
    play(Case("retention", ("saved",), "open", "", "", (0, 0)))
    play(Case("cancellation", ("lost",), "open", "", "", (0, 0)))
    play(Case("retention", ("amy:saved",), "open", "", "", (0, 0)))
    play(Case("pause", ("amy:lost", "amy:saved"), "open", "", "", (0, 0)))

    report = queries.reports(account_manager)

    assert (report.save_rate.requests, report.save_rate.saved, report.save_rate.rate) == (
        2,
        1,
        0.5,
    )
    assert report.save_rate.attempts == 2
    assert report.save_rate_by_reason["Reducing the marketing budget"].requests == 2
    assert report.save_rate_by_month["2026-11"].rate == 0.5
    assert [
        (row["attempts"], row["saved"]) for row in queries.save_attempts_by_month(account_manager)
    ] == [(2, 1)]
