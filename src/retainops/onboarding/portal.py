"""Client portal links: a signed token per link, resolved to one program or to nothing.

The token is the link row's uid signed with SECRET_KEY (salted for this use),
so it cannot be guessed or forged, nothing secret is stored, and the link can
be shown again. A wrong, revoked or expired token resolves to nothing at all.
"""

from dataclasses import dataclass

from django.core import signing
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from retainops.core.site import absolute
from retainops.onboarding.models import PortalLink

_SIGNER = signing.Signer(salt="retainops.onboarding.portal")


def token_for(link: PortalLink) -> str:
    return _SIGNER.sign(link.uid.hex)


def url_for(link: PortalLink) -> str:
    return absolute(reverse("portal:home", args=[token_for(link)]))


def resolve(token: str) -> PortalLink:
    """The usable link a token names; Http404 for anything else (and the same answer
    whatever is wrong, so a probe learns nothing)."""
    try:
        uid = _SIGNER.unsign(token)
    except signing.BadSignature:
        raise Http404("No such link.") from None
    link = PortalLink.objects.select_related("program__client").filter(uid=uid).first()
    if link is None or not link.is_usable:
        raise Http404("No such link.")
    PortalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return link


@dataclass(frozen=True)
class PortalAction:
    """Something else the client can do from the portal, offered by an app above
    onboarding (which registers it in its `ready()`): a label, and the name of a URL
    that takes the portal token."""

    label: str
    url_name: str
    note: str = ""


_ACTIONS: dict[str, PortalAction] = {}


def register_portal_action(action: PortalAction) -> None:
    _ACTIONS[action.url_name] = action


def portal_actions(token: str) -> list[tuple[PortalAction, str]]:
    """Each registered action with its address for this link."""
    return [(action, reverse(action.url_name, args=[token])) for action in _ACTIONS.values()]
