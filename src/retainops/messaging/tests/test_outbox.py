"""The outbox: written with its cause, addressed from recipient specs, ticked by the clock."""

import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from retainops.clients.models import Client
from retainops.core.models import Role, User
from retainops.core.testing import UserFactory
from retainops.messaging.models import DistributionList, Message, MessageRecipient
from retainops.messaging.recipients import resolve_recipients
from retainops.messaging.services import (
    Outgoing,
    add_list_member,
    queue_message,
    save_distribution_list,
)


class CauseFailed(Exception):
    """Raised after queueing, standing for any failure of the change that caused the message."""


def _report(to: list[str]) -> Outgoing:
    return Outgoing(subject="Renewal due", body_text="Your contract renews soon.", to=to)


def test_a_message_queued_in_a_transaction_that_rolls_back_never_existed(harbor: Client):
    with pytest.raises(CauseFailed), transaction.atomic():
        Client.objects.filter(pk=harbor.pk).update(notes="renewal offered")
        queue_message(outgoing=_report(["contacts"]), client=harbor, cause="renewal offer")
        raise CauseFailed

    assert Message.objects.count() == 0
    assert MessageRecipient.objects.count() == 0
    assert Client.objects.get(pk=harbor.pk).notes == ""


def test_a_message_queued_in_a_transaction_that_commits_is_in_the_outbox(harbor: Client):
    with transaction.atomic():
        Client.objects.filter(pk=harbor.pk).update(notes="renewal offered")
        message = queue_message(
            outgoing=_report(["contacts"]), client=harbor, cause="renewal offer"
        )

    stored = Message.objects.get()
    assert (stored.pk, stored.state, stored.attempts) == (message.pk, "queued", 0)
    assert sorted(stored.recipients.values_list("address", flat=True)) == [
        "dana@harbor.example",
        "jane@harbor.example",
    ]


def test_role_resolves_to_the_clients_account_manager(harbor: Client, account_manager: User):
    [recipient] = resolve_recipients(["role:account_manager"], harbor)

    assert (recipient.address, recipient.name) == (account_manager.email, "Amy Archer")
    assert recipient.source == "role:account_manager"


def test_a_list_resolves_members_of_each_kind(
    harbor: Client, account_manager: User, administrator: User
):
    colleague = UserFactory.create(username="carl_csm", first_name="Carl", last_name="Cole")
    dana = harbor.contacts.get(name="Dana Diaz")
    board = save_distribution_list(
        by=administrator, distribution_list=None, data={"code": "renewals", "name": "Renewals"}
    )
    add_list_member(by=administrator, distribution_list=board, kind="user", target=colleague)
    add_list_member(by=administrator, distribution_list=board, kind="contact", target=dana)
    add_list_member(by=administrator, distribution_list=board, kind="address", target="ops@a.test")
    account_managers = Role.objects.get(code="account_manager")
    add_list_member(by=administrator, distribution_list=board, kind="role", target=account_managers)

    resolved = resolve_recipients(["list:renewals"], harbor)

    # In the list's order: by kind (address, contact, role, user), then as added.
    assert [(r.address, r.name) for r in resolved] == [
        ("ops@a.test", ""),
        ("dana@harbor.example", "Dana Diaz"),
        ("amy_am@agency.example", "Amy Archer"),
        ("carl_csm@agency.example", "Carl Cole"),
    ]
    assert {r.source for r in resolved} == {"list:renewals"}
    assert DistributionList.objects.get(code="renewals").members.count() == 4


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("role:nobody", "'role:nobody': Harbor Dental has no one in the role 'nobody'"),
        ("list:ghosts", "'list:ghosts': no distribution list has the code 'ghosts'"),
        ("user:nemo", "'user:nemo': no active user is called 'nemo'"),
        ("lsit:renewals", "'lsit:renewals' is neither an e-mail address nor a known recipient"),
    ],
)
def test_an_unknown_recipient_is_refused_naming_it_and_nothing_is_queued(
    harbor: Client, spec: str, named: str
):
    with pytest.raises(ValidationError) as refused:
        queue_message(outgoing=_report(["dana@harbor.example", spec]), client=harbor, cause="test")

    assert refused.value.message_dict == {"to": [named]}
    assert Message.objects.count() == 0


def test_duplicate_recipients_are_collapsed_first_mention_wins(
    harbor: Client, account_manager: User
):
    specs = [
        "DANA@harbor.example",
        "contacts",
        "role:account_manager",
        "user:amy_am",
        "dana@harbor.example",
    ]

    resolved = resolve_recipients(specs, harbor)

    assert [(r.address, r.source) for r in resolved] == [
        ("DANA@harbor.example", "address"),
        ("jane@harbor.example", "contacts"),
        ("amy_am@agency.example", "role:account_manager"),
    ]


@pytest.mark.parametrize("at", ["next tuesday", "2026-11-24 9am", "2026-13-45T09:00:00", ""])
def test_tick_with_a_malformed_time_exits_with_a_clear_error(at: str, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "retainops.cli", "tick", "--at", at],
        env={"PATH": "/usr/bin:/bin", "RETAINOPS_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"CommandError: --at {at!r} is not an ISO 8601 date and time."
    )
    assert "Traceback" not in done.stderr
