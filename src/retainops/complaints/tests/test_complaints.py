"""Complaints: raising, the status machine, resolution with root causes and improvement
actions, reopening, and who may do what."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from retainops.clients.testing import ContactFactory
from retainops.complaints import services
from retainops.complaints.choices import ComplaintStatus
from retainops.complaints.clocks import clock_reading
from retainops.complaints.models import (
    ClockTimer,
    Complaint,
    ComplaintCategory,
    ImprovementAction,
    RootCause,
)
from retainops.complaints.services import ActionPlan

pytestmark = pytest.mark.django_db
S = ComplaintStatus


def test_a_complaint_is_owned_by_the_account_manager_and_pins_its_service_level(
    raise_one, account_manager, harbor_contact
):
    complaint = raise_one(contact=harbor_contact)

    assert complaint.status == S.NEW
    assert complaint.owner == account_manager
    # The default policy for high severity: two hours to answer, two days to resolve.
    assert (complaint.response_target_minutes, complaint.resolution_target_minutes) == (120, 960)
    assert ClockTimer.objects.filter(complaint=complaint).count() == 6
    assert complaint.response_due_at is not None
    assert complaint.activity.get().what.startswith("raised by phone")


def test_people_outside_the_unit_or_without_the_capability_cannot_raise(
    raise_one, south_account_manager, outsider, north
):
    from retainops.core.testing import UserFactory

    creative = UserFactory.create(username="cara", roles=["creative_director"], units=[north])
    for person in (south_account_manager, outsider, creative):
        with pytest.raises(PermissionDenied):
            raise_one(by=person)
    assert not Complaint.objects.exists()


def test_bad_input_is_refused_naming_each_field_and_nothing_is_written(raise_one, north):
    retired = ComplaintCategory.objects.create(code="old", label="Old", is_active=False)
    strangers_contact = ContactFactory.create()

    with pytest.raises(ValidationError) as refused:
        raise_one(
            channel="pigeon",
            severity="urgent",
            category=retired,
            contact=strangers_contact,
            summary="",
        )

    assert set(refused.value.message_dict) == {
        "channel",
        "severity",
        "category",
        "contact",
        "summary",
    }
    assert not Complaint.objects.exists()
    assert not ClockTimer.objects.exists()


def test_the_status_moves_only_along_its_machine(raise_one, account_manager):
    complaint = raise_one()

    with pytest.raises(ValidationError, match="cannot wait on client"):
        services.wait_on_client(complaint=complaint, by=account_manager)

    services.acknowledge_complaint(complaint=complaint, by=account_manager)
    services.start_work(complaint=complaint, by=account_manager)
    services.wait_on_client(complaint=complaint, by=account_manager)
    services.resume_work(complaint=complaint, by=account_manager)
    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS
    assert [p.ended_at is not None for p in complaint.pauses.all()] == [True]


def test_a_complaint_read_with_its_pauses_resumes_on_what_the_database_says(
    raise_one, account_manager
):
    from retainops.complaints.queries import with_clock_data

    complaint = raise_one()
    services.acknowledge_complaint(complaint=complaint, by=account_manager)
    services.start_work(complaint=complaint, by=account_manager)
    services.wait_on_client(complaint=complaint, by=account_manager)
    listed = with_clock_data(Complaint.objects.filter(pk=complaint.pk)).get()
    assert len(listed.pauses.all()) == 1

    services.resume_work(complaint=listed, by=account_manager)

    listed.refresh_from_db()
    assert listed.resolution_due_at is not None
    assert clock_reading(listed, listed.resolution_due_at).state == "breached"


def test_a_second_acknowledgement_is_refused(raise_one, account_manager, team_lead):
    complaint = raise_one()
    services.acknowledge_complaint(complaint=complaint, by=account_manager)

    stale = Complaint.objects.get(pk=complaint.pk)
    with pytest.raises(ValidationError, match="already acknowledged"):
        services.acknowledge_complaint(complaint=Complaint.objects.get(pk=stale.pk), by=team_lead)

    complaint.refresh_from_db()
    assert complaint.acknowledged_by == account_manager


def test_resolving_needs_a_root_cause_and_an_account_of_it(raise_one, account_manager):
    complaint = raise_one()
    services.acknowledge_complaint(complaint=complaint, by=account_manager)

    with pytest.raises(ValidationError) as refused:
        services.resolve_complaint(
            complaint=complaint, by=account_manager, root_cause=None, resolution=" "
        )

    assert set(refused.value.message_dict) == {"root_cause", "resolution"}
    complaint.refresh_from_db()
    assert complaint.status == S.ACKNOWLEDGED


def test_resolution_spawns_improvement_actions_tracked_to_done(
    raise_one, account_manager, team_lead, outsider
):
    complaint = raise_one()
    services.acknowledge_complaint(complaint=complaint, by=account_manager)
    cause = RootCause.objects.get(code="missed-handoff")
    due = date.today() + timedelta(days=14)

    with pytest.raises(ValidationError) as refused:
        services.resolve_complaint(
            complaint=complaint,
            by=account_manager,
            root_cause=cause,
            resolution="Report sent with commentary.",
            actions=[ActionPlan("", outsider, due - timedelta(days=30))],
        )
    assert set(refused.value.message_dict) == {
        "actions[0].title",
        "actions[0].owner",
        "actions[0].due_date",
    }

    services.resolve_complaint(
        complaint=complaint,
        by=account_manager,
        root_cause=cause,
        resolution="Report sent with commentary.",
        actions=[ActionPlan("Reporting hand-off checklist", team_lead, due)],
    )
    complaint.refresh_from_db()
    assert complaint.status == S.RESOLVED
    assert complaint.root_cause == cause
    assert not ClockTimer.objects.filter(
        complaint=complaint, fired_at__isnull=True, dropped_at__isnull=True
    ).exists()

    action = ImprovementAction.objects.get(complaint=complaint)
    assert (action.owner, action.state) == (team_lead, "open")
    services.complete_improvement_action(action=action, by=team_lead)
    assert action.state == "done"
    with pytest.raises(ValidationError, match="already done"):
        services.complete_improvement_action(action=action, by=team_lead)


def _resolved(raise_one, by):
    complaint = raise_one()
    services.acknowledge_complaint(complaint=complaint, by=by)
    return services.resolve_complaint(
        complaint=complaint,
        by=by,
        root_cause=RootCause.objects.get(code="staff-error"),
        resolution="Apologised and corrected the invoice.",
    )


@override_settings(COMPLAINT_REOPEN_DAYS=7)
def test_a_complaint_reopens_within_the_window_and_its_clock_goes_on(
    raise_one, account_manager, clock
):
    complaint = _resolved(raise_one, account_manager)
    services.close_complaint(complaint=complaint, by=account_manager)
    clock.shift(timedelta(days=6))

    services.reopen_complaint(complaint=complaint, by=account_manager, reason="Wrong again.")

    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS
    assert complaint.resolved_at is None
    reading = clock_reading(complaint, datetime.now().astimezone())
    # The six days it stood resolved are not counted.
    assert reading.state == "running"
    assert reading.used_minutes < 60


@override_settings(COMPLAINT_REOPEN_DAYS=7)
def test_after_the_window_a_complaint_stays_resolved(raise_one, account_manager, clock):
    complaint = _resolved(raise_one, account_manager)
    clock.shift(timedelta(days=8))

    with pytest.raises(ValidationError, match="reopening window"):
        services.reopen_complaint(complaint=complaint, by=account_manager, reason="Again.")
    with pytest.raises(ValidationError) as refused:
        services.reopen_complaint(complaint=complaint, by=account_manager, reason="")
    assert "reason" in refused.value.message_dict


def test_reassigning_needs_someone_who_handles_the_unit(
    raise_one, account_manager, team_lead, south_account_manager
):
    complaint = raise_one()

    with pytest.raises(ValidationError) as refused:
        services.reassign_complaint(
            complaint=complaint, by=account_manager, owner=south_account_manager
        )
    assert "owner" in refused.value.message_dict

    services.reassign_complaint(complaint=complaint, by=account_manager, owner=team_lead)
    complaint.refresh_from_db()
    assert complaint.owner == team_lead
