"""Targets agreed at sale in a real browser. Five past SEM programs of Harbor Dental's
industry and budget band clicked 100 to 500 times in their first 90 days. Amy, the
account manager, agrees targets for a new program: 350 clicks is within what comparable
programs achieved; 450 is beyond their 75th percentile, so the page asks why, and once
Amy says why the target is kept, flagged as an over-promise, and the flag is on the
program page for whoever takes the hand-off."""

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from retainops.clients.models import ClientTeamMember, ServiceLine
from retainops.clients.testing import ClientFactory
from retainops.core.models import Role
from retainops.core.testing import BusinessUnitFactory, UserFactory
from retainops.onboarding.models import Program
from retainops.onboarding.services import Line, create_program
from retainops.performance.models import MetricSource, MetricValue, ProgramKpi
from retainops.playbooks import services as playbooks
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ONBOARDING = Path(playbooks.__file__).resolve().parent / "library" / "onboarding.yaml"
PASSWORD = "pass-word-1"
PAST_START = date(2025, 1, 1)


def new_program_with_peers() -> Program:
    north = BusinessUnitFactory.create(code="north", name="North Media")
    harbor = ClientFactory.create(name="Harbor Dental", business_unit=north, industry="Dental")
    sales = UserFactory.create(username="sol_sales", roles=["sales_rep"], units=[north])
    amy = UserFactory.create(username="amy_am", roles=["account_manager"], units=[north])
    for user, role in ((sales, "sales_rep"), (amy, "account_manager")):
        ClientTeamMember.objects.create(client=harbor, role=Role.objects.get(code=role), user=user)
    ops = UserFactory.create(username="otto_ops", roles=["operations_lead"], units=[north])
    playbooks.publish_playbook(by=ops, source=ONBOARDING.read_text())
    sem = ServiceLine.objects.get(code="sem")
    source = MetricSource.objects.get(key="api")
    for clicks in (100, 200, 300, 400, 500):
        past = create_program(
            by=sales,
            client=harbor,
            name=f"Past campaign {clicks}",
            start_date=PAST_START,
            end_date=date(2025, 12, 31),
            lines=[Line(sem, Decimal("1500"))],
        )
        MetricValue.objects.create(
            program=past,
            service=sem,
            source=source,
            date=PAST_START + timedelta(days=10),
            metric="clicks",
            value=clicks,
        )
    today = timezone.localdate()
    return create_program(
        by=sales,
        client=harbor,
        name="Spring campaign",
        start_date=today + timedelta(days=14),
        end_date=today + timedelta(days=196),
        lines=[Line(sem, Decimal("1500"))],
    )


def test_targets_beyond_comparable_programs_need_a_reason_and_are_flagged(
    page: Page, live_server
) -> None:
    program = new_program_with_peers()
    base_url = live_server.url
    sign_in(page, base_url, "amy_am", PASSWORD)
    page.goto(f"{base_url}/onboarding/programs/{program.pk}/")
    page.get_by_role("link", name="KPIs and targets").click()

    clicks_row = page.get_by_role("row").filter(has_text="Clicks (count")
    expect(clicks_row).to_contain_text("200.0000 / 300.0000 / 400.0000")
    expect(clicks_row).to_contain_text("of 5 programs")

    page.get_by_label("Target of SEM Clicks").fill("450")
    page.get_by_label("Agreed with (client contact)").fill("Dana Diaz")
    page.get_by_role("button", name="Agree the targets").click()
    expect(page.get_by_role("alert").first).to_contain_text("beyond what three in four")
    assert not ProgramKpi.objects.filter(program=program).exists()

    page.get_by_label("Reason for SEM Clicks").fill("The client doubles its landing pages.")
    page.get_by_role("button", name="Agree the targets").click()
    expect(page.get_by_text(re.compile("1 target agreed; 1 beyond the 75th"))).to_be_visible()
    expect(page.locator(".over-promise")).to_have_count(1)

    page.get_by_role("link", name=re.compile("Spring campaign")).first.click()
    flag = page.locator("#over-promise-flag")
    expect(flag).to_contain_text("Over-promised at sale")
    expect(flag).to_contain_text("SEM Clicks 450")
    expect(flag).to_contain_text("The client doubles its landing pages.")
    target = ProgramKpi.objects.get(program=program)
    assert target.over_promise and target.comparables == 5 and target.agreed_with == "Dana Diaz"
