"""What a program's purchase order must hold, what is still missing, and checking values.

Requirements come from configuration: those of every program, then those of
each of the program's services, in their configured order.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import F, Q, QuerySet

from retainops.onboarding.choices import DetailKind
from retainops.onboarding.models import DetailRequirement, Program

MAX_DETAIL_LENGTH = 4000


@dataclass(frozen=True)
class Missing:
    key: str
    label: str
    service: str


def requirements_for(program: Program) -> QuerySet[DetailRequirement]:
    service_ids = list(program.lines.values_list("service_id", flat=True))
    return (
        DetailRequirement.objects.filter(Q(service__isnull=True) | Q(service_id__in=service_ids))
        .select_related("service")
        # "Every program" first on every database (PostgreSQL puts NULL last by default).
        .order_by(F("service__name").asc(nulls_first=True), "position", "label")
    )


def _filled(value: Any) -> bool:
    return bool(str(value if value is not None else "").strip())


def missing_details(program: Program) -> list[Missing]:
    """Every required detail the order does not hold yet, per service."""
    return [
        Missing(r.key, r.label, r.service.name if r.service else "Every program")
        for r in requirements_for(program)
        if r.required and not _filled(program.details.get(r.key))
    ]


def clean_value(requirement: DetailRequirement, raw: Any) -> str:
    """The value as stored (text), or ValidationError saying what is wrong with it.

    Line ends are stored as plain newlines whoever sends them (a browser's textarea sends
    CRLF, an API client may send either), so a short text's one-line check sees a lone CR
    too, and a long text reads the same from the page, the portal and the API."""
    text = str(raw if raw is not None else "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    if len(text) > MAX_DETAIL_LENGTH:
        raise ValidationError(f"Keep it under {MAX_DETAIL_LENGTH} characters.")
    kind = requirement.kind
    if kind == DetailKind.URL:
        URLValidator()(text if "://" in text else f"https://{text}")
        return text if "://" in text else f"https://{text}"
    if kind == DetailKind.EMAIL:
        validate_email(text)
    elif kind == DetailKind.DATE:
        _date(text)
    elif kind == DetailKind.NUMBER:
        _number(text)
    elif kind == DetailKind.CHOICE and text not in requirement.choices:
        raise ValidationError(f"Choose one of: {', '.join(requirement.choices)}.")
    elif kind == DetailKind.TEXT and "\n" in text:
        raise ValidationError("One line only.")
    return text


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("Write the date as YYYY-MM-DD.") from None


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValidationError("Write a number.") from None


def cleaned_details(program: Program, given: dict[str, Any]) -> dict[str, str]:
    """Check submitted details against the program's requirements; every problem at once.

    A key the program does not need is refused (naming it); an empty value clears it.
    """
    known = {r.key: r for r in requirements_for(program)}
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for key, raw in given.items():
        requirement = known.get(key)
        if requirement is None:
            problems[key] = ["This program does not ask for this detail."]
            continue
        try:
            cleaned[key] = clean_value(requirement, raw)
        except ValidationError as error:
            problems[key] = [str(m) for m in error.messages]
    if problems:
        raise ValidationError(problems)
    return cleaned
