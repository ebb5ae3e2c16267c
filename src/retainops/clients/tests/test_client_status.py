"""The client life cycle as a state machine."""

import pytest
from django.core.exceptions import ValidationError

from retainops.clients.choices import ClientStatus
from retainops.clients.models import Client
from retainops.clients.services import change_client_status
from retainops.clients.testing import ClientFactory


@pytest.fixture
def harbor(north):
    return ClientFactory.create(name="Harbor Dental", business_unit=north)


def test_status_cannot_be_assigned_directly(harbor):
    with pytest.raises(AttributeError):
        harbor.status = ClientStatus.CANCELLED


def test_a_cancellation_goes_through_notice(account_manager, harbor):
    change_client_status(client=harbor, by=account_manager, transition_name="go_live")
    with pytest.raises(ValidationError, match="cannot cancel"):
        change_client_status(client=harbor, by=account_manager, transition_name="cancel")
    change_client_status(client=harbor, by=account_manager, transition_name="give_notice")
    change_client_status(client=harbor, by=account_manager, transition_name="cancel")
    harbor.refresh_from_db()
    assert harbor.status == ClientStatus.CANCELLED
    reasons = list(harbor.history.values_list("history_change_reason", flat=True))
    assert reasons[:3] == ["status: cancel", "status: give_notice", "status: go_live"]


def test_two_people_moving_the_same_client_at_once_cannot_both_win(account_manager, harbor):
    first_view = Client.objects.get(pk=harbor.pk)
    second_view = Client.objects.get(pk=harbor.pk)
    change_client_status(client=first_view, by=account_manager, transition_name="go_live")
    # The second person still sees the client as onboarding.
    with pytest.raises(ValidationError, match="Someone else changed this status"):
        change_client_status(client=second_view, by=account_manager, transition_name="give_notice")
    assert Client.objects.get(pk=harbor.pk).status == ClientStatus.ACTIVE


def test_unknown_transition_is_refused(account_manager, harbor):
    with pytest.raises(ValidationError, match="Unknown transition"):
        change_client_status(client=harbor, by=account_manager, transition_name="explode")
