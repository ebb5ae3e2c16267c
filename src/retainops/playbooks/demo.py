"""Demo processes: the shipped playbooks published, and hand-offs under way for the
newest onboarding clients, so that "My work" has something to show on first login."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from retainops.clients.choices import ClientStatus
from retainops.clients.demo import ADMIN_USERNAME, demo_clients
from retainops.core.models import User
from retainops.playbooks.engine import create_run
from retainops.playbooks.library import load_source, shipped_sources
from retainops.playbooks.models import Playbook, Run

HANDOFF = "sales-handoff"
RECENT_SALES = 12
HOURS_BETWEEN_SALES = 5


@transaction.atomic
def seed_processes() -> list[str]:
    """Publish the shipped playbooks; start hand-offs for recent sales (once)."""
    admin = User.objects.get(username=ADMIN_USERNAME)
    lines = []
    for source in shipped_sources().values():
        version, published = load_source(by=admin, source=source)
        lines.append(f"Playbook {version}: {'published' if published else 'already current'}.")
    playbook = Playbook.objects.select_related("current").get(key=HANDOFF)
    if Run.objects.filter(version__playbook=playbook).exists():
        return lines
    now = timezone.now()
    newest = demo_clients().filter(status=ClientStatus.ONBOARDING).order_by("-sold_on", "id")
    started = 0
    for position, client in enumerate(newest[:RECENT_SALES]):
        # Sales spaced a few hours apart: some hand-offs fresh, some due today, some missed.
        sold = now - timedelta(hours=HOURS_BETWEEN_SALES * position)
        assert playbook.current is not None
        create_run(
            version=playbook.current,
            subject_code="client",
            subject=client,
            anchors={"sold": sold},
            by=admin,
            trigger="client.sold",
        )
        started += 1
    lines.append(f"Hand-offs under way: {started}.")
    return lines
