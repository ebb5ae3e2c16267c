"""Survey links: a capability to answer one invitation once.

A link is `signing.dumps` over the invitation's id and its random nonce, salted for
surveys; the signature proves the link was issued here, the nonce that it is that
invitation's (a guessed id with a copied signature fails), and the row says whether it
has expired or been used. Each failure has its own sentence, and none changes anything.
"""

import secrets
from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from retainops.core.site import absolute
from retainops.voice.models import SurveyInvitation

SALT = "retainops.voice.survey"


class LinkRefused(Exception):
    """Why a survey link cannot be used (`reason`: altered, expired, used)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(invitation: SurveyInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT, compress=True)


def url_for(invitation: SurveyInvitation) -> str:
    path = reverse("voice:answer", args=[token_for(invitation)])
    return absolute(path)


def resolve(token: str, *, for_update: bool = False) -> SurveyInvitation:
    """The invitation a link opens, or LinkRefused saying why not."""
    try:
        data: Any = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise LinkRefused(
            "altered", "This survey link is not valid: it may have been altered."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise LinkRefused("altered", "This survey link is not valid: it may have been altered.")
    rows = SurveyInvitation.objects.select_related("survey__version__definition", "survey__client")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(pk=data["i"], nonce=str(data.get("n", ""))).first()
    if invitation is None:
        raise LinkRefused("altered", "This survey link is not valid: it may have been altered.")
    if invitation.answered_at is not None:
        raise LinkRefused("used", "This survey has already been answered. Thank you!")
    if timezone.now() >= invitation.expires_at:
        raise LinkRefused("expired", "This survey link has expired.")
    return invitation
