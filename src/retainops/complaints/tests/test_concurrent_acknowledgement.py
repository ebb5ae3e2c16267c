"""Two people acknowledging the same complaint at the same moment, each on a database
connection of its own: one first response is recorded, the other is told it was given
(on PostgreSQL the row lock makes the second UPDATE wait and then match nothing;
SQLite's IMMEDIATE transactions queue it)."""

import pytest
from conftest import write_reference_data
from django.db import transaction

from retainops.clients.models import ClientTeamMember
from retainops.clients.testing import ClientFactory
from retainops.complaints import services
from retainops.complaints.models import Complaint, ComplaintActivity, ComplaintCategory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory, run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def reference_data() -> None:
    """The flush between transactional tests removes the migrations' rows."""
    write_reference_data()


def test_two_people_acknowledging_at_once_record_one_first_response():
    with transaction.atomic():
        unit = BusinessUnitFactory.create(code="north")
        amy = UserFactory.create(username="amy", roles=["account_manager"], units=[unit])
        tess = UserFactory.create(username="tess", roles=["team_lead"], units=[unit])
        client = ClientFactory.create(name="Harbor Dental", business_unit=unit)
        ClientTeamMember.objects.create(
            client=client, user=amy, role=Role.objects.get(code="account_manager")
        )
        complaint = services.raise_complaint(
            by=amy,
            client=client,
            channel="email",
            severity="high",
            category=ComplaintCategory.objects.get(code="billing"),
            summary="Invoiced twice",
            description="We were charged twice for November.",
        )

    outcomes = run_at_once(
        [
            lambda: services.acknowledge_complaint(
                complaint=Complaint.objects.get(pk=complaint.pk), by=amy
            ),
            lambda: services.acknowledge_complaint(
                complaint=Complaint.objects.get(pk=complaint.pk), by=tess
            ),
        ]
    )

    assert sorted(o.split(":")[0] for o in outcomes) == ["done", "refused"], outcomes
    assert "already acknowledged" in next(o for o in outcomes if o.startswith("refused"))
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == "acknowledged"
    assert stored.acknowledged_by in (amy, tess)
    acknowledged = ComplaintActivity.objects.filter(
        complaint=stored, what__startswith="acknowledged"
    )
    assert acknowledged.count() == 1
