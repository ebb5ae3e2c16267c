"""The navigation badge: drops I own in the next 14 days with gates still open."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from retainops.drops.choices import DropState
from retainops.drops.models import Drop


def drops_with_open_gates(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    now = timezone.now()
    return (
        Drop.objects.filter(
            owner=user,
            state=DropState.PLANNED,
            drop_at__gte=now,
            drop_at__lte=now + timedelta(days=14),
            gates__passed_at__isnull=True,
        )
        .distinct()
        .count()
    )
