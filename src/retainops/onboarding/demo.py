"""Demo programs at every stage of onboarding, so the board and the portal have something
to show: one not sold yet, then one further along for each stage up to the QA check of a
program just gone live."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from retainops.clients.choices import ClientStatus
from retainops.clients.demo import ADMIN_USERNAME, demo_clients
from retainops.clients.models import ServiceLine
from retainops.core.models import User
from retainops.onboarding import services
from retainops.onboarding.models import Program
from retainops.playbooks import services as playbooks
from retainops.playbooks.models import Run, Task

SERVICES = [("targeted-display", "2400"), ("sem", "1600")]
SOME_DETAILS = {
    "billing_contact": "accounts@client.example",
    "landing_page": "https://client.example/offer",
    "display_geography": "25 miles around the main office",
}
THE_REST = {
    "tracking_access": "Analytics access granted",
    "sem_keywords": "Brand and service keywords; negatives: jobs, free",
    "sem_geography": "The home state",
    "display_targeting": "Households with an interest in the service",
    "display_creative": "300x250, 728x90, 160x600; logo and brand colours supplied",
}


def _step(program: Program, key: str) -> Task:
    run = Run.objects.get(subject_type="program", subject_id=program.pk)
    return Task.objects.get(run=run, step_key=key)


def _finish(program: Program, key: str, admin: User) -> None:
    playbooks.complete_task(by=admin, task=_step(program, key), note="Done (demo)")


def _to_intro(program: Program, admin: User) -> None:
    _finish(program, "production_meeting", admin)


def _to_design(program: Program, admin: User) -> None:
    _to_intro(program, admin)
    link = program.portal_links.get()
    services.supply_details(link=link, details=THE_REST, contact="Demo contact")


def _to_approval(program: Program, admin: User) -> None:
    _to_design(program, admin)
    _finish(program, "design_meeting", admin)
    version = services.upload_proof(
        by=admin,
        program=program,
        kind="creative",
        title="Banner set",
        upload=services.ProofUpload("banner-set.txt", "text/plain", b"Demo banner set"),
    )
    services.decide_proof(
        link=program.portal_links.get(),
        version=version,
        decision="changes",
        comment="Could the logo be larger?",
        contact="Demo contact",
    )


def _to_go_live(program: Program, admin: User) -> None:
    _to_design(program, admin)
    _finish(program, "design_meeting", admin)
    link = program.portal_links.get()
    for kind, title in (("creative", "Banner set"), ("targeting", "Audience plan")):
        version = services.upload_proof(
            by=admin,
            program=program,
            kind=kind,
            title=title,
            upload=services.ProofUpload(f"{title}.txt", "text/plain", title.encode()),
        )
        services.decide_proof(
            link=link, version=version, decision="approved", comment="", contact="Demo contact"
        )
    services.plan_go_live(by=admin, program=program, at=timezone.now() + timedelta(days=6))


def _to_qa(program: Program, admin: User) -> None:
    # Live ahead of the planned date: the meetings after go-live follow the real moment.
    _to_go_live(program, admin)
    _finish(program, "set_live", admin)


STAGES: list[tuple[str, Callable[[Program, User], None] | None]] = [
    ("draft", None),
    ("sold", lambda program, admin: None),
    ("introduced", _to_intro),
    ("details in", _to_design),
    ("creative sent back", _to_approval),
    ("ready to go live", _to_go_live),
    ("live, QA to do", _to_qa),
]


@transaction.atomic
def seed_programs() -> list[str]:
    """One demo program per stage on the newest onboarding clients (once)."""
    clients = demo_clients().filter(status=ClientStatus.ONBOARDING).order_by("-sold_on", "id")
    if Program.objects.filter(client__in=clients).exists():
        return ["Demo programs: already there."]
    admin = User.objects.get(username=ADMIN_USERNAME)
    lines = [
        services.Line(ServiceLine.objects.get(code=code), Decimal(budget))
        for code, budget in SERVICES
    ]
    today = timezone.localdate()
    made = 0
    for client, (_stage, advance) in zip(clients, STAGES, strict=False):
        program = services.create_program(
            by=admin,
            client=client,
            name=f"{client.name}: display and search",
            start_date=today + timedelta(days=14),
            end_date=date(today.year + 1, today.month, 1),
            lines=lines,
            details=SOME_DETAILS,
        )
        if advance is not None:
            services.mark_program_sold(by=admin, program=program)
            advance(program, admin)
        made += 1
    if made < len(STAGES):
        # Too few onboarding clients (a small --clients): say so rather than claim them all.
        reached = ", ".join(stage for stage, _advance in STAGES[:made]) or "none"
        return [f"Demo programs: {made} of {len(STAGES)} onboarding stages ({reached})."]
    return [f"Demo programs: {made}, one at every onboarding stage."]
