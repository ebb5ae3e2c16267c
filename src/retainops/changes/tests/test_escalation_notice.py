"""The escalation chosen hears of a request at once: whoever holds its role (retention
team, team lead, department manager) in the client's business unit gets an e-mail
through the outbox, written with the request, naming the client, the kind, the reason,
the client's own words and a link; no one outside the unit is told."""

from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from retainops.changes import services
from retainops.changes.models import ChangeReason, ChangeRequest
from retainops.clients.models import Client
from retainops.core.models import BusinessUnit, User
from retainops.core.testing import ApiCaller, UserFactory
from retainops.messaging.models import Message, MessageTemplate
from retainops.messaging.templating import validate_template_text
from retainops.messaging.testing import SmtpPeer

from .conftest import EFFECTIVE

ROLE_HOLDERS = {
    "retention_team": "retention_rep",
    "team_lead": "team_lead",
    "department_manager": "department_manager",
}


@pytest.fixture
def south_counterparts(south: BusinessUnit) -> list[User]:
    """Someone in each escalation role in the South unit, who never hears of North's
    requests."""
    return [
        UserFactory.create(username=f"south_{role}", roles=[role], units=[south])
        for role in ROLE_HOLDERS
    ]


def raise_for(
    client: Client, by: User, reason: ChangeReason, escalation: str, **fields: object
) -> ChangeRequest:
    options: dict = {
        "kind": "cancellation",
        "effective_date": EFFECTIVE,
        "reason_text": "We are not getting the calls we hoped for.",
        **fields,
    }
    return services.raise_change_request(
        by=by, client=client, reason=reason, escalation=escalation, **options
    )


def deliver() -> None:
    call_command("tick", stdout=StringIO())


@pytest.mark.parametrize("escalation", list(ROLE_HOLDERS))
def test_the_party_chosen_in_the_clients_unit_is_e_mailed_at_once_and_no_one_else(
    clock: time_machine.Traveller,
    escalation: str,
    request: pytest.FixtureRequest,
    harbor: Client,
    account_manager: User,
    budget_cut: ChangeReason,
    south_counterparts: list[User],
    smtp: SmtpPeer,
):
    people = {role: request.getfixturevalue(name) for role, name in ROLE_HOLDERS.items()}
    chosen = people[escalation]

    change = raise_for(harbor, account_manager, budget_cut, escalation)
    deliver()

    [notice] = smtp.received
    assert notice.envelope_to == [chosen.email]
    assert notice.subject.startswith("Escalated to the ")
    assert "Harbor Dental" in notice.subject
    text = notice.part("text/plain")
    assert "Kind: Cancellation" in text
    assert "Reason: Reducing the marketing budget" in text
    assert "In the client's words: We are not getting the calls we hoped for." in text
    assert f"/changes/{change.pk}/" in text
    assert str(account_manager) in text
    told = {address for m in smtp.received for address in m.envelope_to}
    assert told.isdisjoint(u.email for u in south_counterparts)


def test_the_notice_is_written_with_the_request_and_goes_with_it(
    harbor: Client, account_manager: User, team_lead: User, budget_cut: ChangeReason
):
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_for(harbor, account_manager, budget_cut, "team_lead")
        assert Message.objects.filter(cause__endswith="escalated").count() == 1
        raise RuntimeError("the caller's transaction fails after the request was raised")

    assert not ChangeRequest.objects.exists()
    assert not Message.objects.exists()


def test_a_request_refused_tells_no_one(
    harbor: Client, account_manager: User, team_lead: User, budget_cut: ChangeReason
):
    with pytest.raises(ValidationError, match="names the services"):
        raise_for(harbor, account_manager, budget_cut, "team_lead", kind="contract_change")

    assert not Message.objects.exists()


def test_every_holder_of_the_role_in_the_unit_is_told_but_not_the_one_who_raised_it(
    harbor: Client,
    retention_rep: User,
    north: BusinessUnit,
    budget_cut: ChangeReason,
):
    colleague = UserFactory.create(
        username="ross_retention", roles=["retention_team"], units=[north]
    )
    UserFactory.create(
        username="gone_retention", roles=["retention_team"], units=[north], is_active=False
    )

    raise_for(harbor, retention_rep, budget_cut, "retention_team")

    [notice] = Message.objects.all()
    assert [r.address for r in notice.recipients.all()] == [colleague.email]


def test_with_no_one_in_the_role_the_request_is_raised_and_its_history_says_so(
    harbor: Client, account_manager: User, budget_cut: ChangeReason
):
    change = raise_for(harbor, account_manager, budget_cut, "department_manager")

    assert not Message.objects.exists()
    [raised] = change.history.all()
    assert (
        raised.history_change_reason
        == "raised; nobody to tell: no department manager in North Media"
    )


def test_the_escalation_is_not_changed_later_so_no_one_else_is_told(
    harbor: Client,
    account_manager: User,
    team_lead: User,
    department_manager: User,
    budget_cut: ChangeReason,
):
    change = raise_for(harbor, account_manager, budget_cut, "team_lead")

    with pytest.raises(ValidationError) as refused:
        services.update_change_request(
            by=account_manager, request=change, changes={"escalation": "department_manager"}
        )

    assert "escalation" in refused.value.message_dict
    assert ChangeRequest.objects.get(pk=change.pk).escalation == "team_lead"
    addresses = [r.address for m in Message.objects.all() for r in m.recipients.all()]
    assert addresses == [team_lead.email]


def test_raised_through_the_api_the_party_chosen_is_told_the_same(
    harbor: Client, account_manager: User, team_lead: User
):
    body = {
        "client": harbor.pk,
        "kind": "pause",
        "reason": "seasonal",
        "reason_text": "Quiet until spring",
        "escalation": "team_lead",
        "effective_date": EFFECTIVE.isoformat(),
    }

    response = ApiCaller(account_manager).post("/change-requests", body)

    assert response.status_code == 201, response.content
    [notice] = Message.objects.all()
    assert [r.address for r in notice.recipients.all()] == [team_lead.email]
    assert "Quiet until spring" in notice.body_text
    assert f"/changes/{response.json()['id']}/" in notice.body_text


def test_the_stored_template_uses_only_known_variables(db: None):
    template = MessageTemplate.objects.get(code=services.ESCALATION_TEMPLATE)

    validate_template_text("subject", template.subject)
    validate_template_text("body_text", template.body_text)
