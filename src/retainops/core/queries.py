"""Reads about people and configuration."""

from retainops.core.models import DemoMarker, User


def demo_logins() -> list[dict[str, str]]:
    """The demo accounts, but only while the demo data set is loaded."""
    if not DemoMarker.objects.exists():
        return []
    users = User.objects.filter(username__in=DemoMarker.demo_usernames(), is_active=True)
    return [
        {"username": u.username, "roles": ", ".join(r.label for r in u.roles.all())}
        for u in users.prefetch_related("roles").order_by("username")
    ]
