"""Operations of the voice of the customer: survey definitions, sending surveys and
answering them through their links, detractors' follow-ups, observations, and feedback
meetings with their minutes and action items.

Each is keyword-only and one transaction; rights are checked inside. Messages are
queued in the same transaction as their cause (the outbox delivers each once).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from retainops.clients.models import Client, Contact
from retainops.complaints.models import BusinessCalendar, ComplaintCategory, default_calendar
from retainops.complaints.services import account_manager_of, raise_complaint
from retainops.core.access import require_capability, require_unit_access
from retainops.core.capabilities import Capability
from retainops.core.errors import Problems, invalid
from retainops.core.events import emit
from retainops.core.models import User
from retainops.core.transitions import move
from retainops.messaging.services import Outgoing, book_meeting, queue_message
from retainops.voice import events, links
from retainops.voice.choices import (
    ActionItemState,
    FollowUpState,
    InvitationState,
    ObservationCategory,
    Sentiment,
    SessionState,
    SurveyKind,
)
from retainops.voice.models import (
    ActionItem,
    DetractorRule,
    FeedbackSeries,
    FeedbackSession,
    FollowUp,
    Observation,
    Survey,
    SurveyAnswer,
    SurveyDefinition,
    SurveyInvitation,
    SurveyVersion,
)
from retainops.voice.questions import check_answers, check_questions

FOLLOW_UP_BUSINESS_MINUTES = 8 * 60  # one working day


def _require_client_editor(by: Any, client: Client) -> None:
    require_capability(by, Capability.EDIT_CLIENT)
    require_unit_access(by, client.business_unit_id)


def _require_voice(by: Any, client: Client) -> None:
    """Whoever speaks to clients records what they hear: client editors and the
    service team (who handle complaints)."""
    if not getattr(by, "is_authenticated", False):
        raise PermissionDenied("Sign in first.")
    if not (
        by.has_capability(Capability.EDIT_CLIENT) or by.has_capability(Capability.HANDLE_COMPLAINTS)
    ):
        raise PermissionDenied("You are not allowed to record what clients say.")
    require_unit_access(by, client.business_unit_id)


# Definitions ---------------------------------------------------------------------------


@transaction.atomic
def save_definition(
    *, by: Any, code: str, name: str, kind: str, questions: Any = None
) -> SurveyDefinition:
    """Create a definition, or store a new version of its questions when they changed
    (answers already given keep the version they answered)."""
    require_capability(by, Capability.MANAGE_PLAYBOOKS)
    problems = Problems()
    if kind not in SurveyKind.values:
        problems.add("kind", f"Choose one of: {', '.join(SurveyKind.values)}.")
    if not name.strip():
        problems.add("name", "Give the survey a name.")
    if not code.strip():
        problems.add("code", "Give the survey a code.")
    problems.raise_if_any()
    from retainops.voice.questions import standard_questions

    checked = check_questions(
        kind, questions if questions is not None else standard_questions(kind)
    )
    definition, created = SurveyDefinition.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind}
    )
    if not created and definition.kind != kind:
        raise invalid("kind", "A survey's kind cannot change; make a new survey.")
    if definition.name != name:
        SurveyDefinition.objects.filter(pk=definition.pk).update(name=name)
        definition.name = name
    current = definition.current_version()
    if current is None or current.questions != checked:
        SurveyVersion.objects.create(
            definition=definition,
            number=(current.number + 1) if current else 1,
            questions=checked,
            created_by=by if getattr(by, "pk", None) else None,
        )
    return definition


# Sending -------------------------------------------------------------------------------


def _survey_mail(invitation: SurveyInvitation, *, reminder: bool) -> Outgoing:
    survey = invitation.survey
    agency = settings.AGENCY_NAME
    greeting = f"Hello {invitation.name}," if invitation.name else "Hello,"
    lead = (
        "A reminder: we would still love to hear from you."
        if reminder
        else (f"{agency} would like to know how we are doing for {survey.client.name}.")
    )
    expires = timezone.localtime(invitation.expires_at).strftime("%d %B %Y")
    body = (
        f"{greeting}\n\n{lead}\nIt takes a minute, and needs no account:\n\n"
        f"{links.url_for(invitation)}\n\nThe link is yours alone and works until {expires}.\n"
    )
    subject = survey.version.definition.name
    return Outgoing(
        subject=f"Reminder: {subject}" if reminder else subject,
        body_text=body,
        to=[invitation.email],
    )


def dispatch_survey(
    *,
    definition: SurveyDefinition,
    client: Client,
    by: Any = None,
    contacts: list[Contact] | None = None,
    service_line: str = "",
    cause: str = "sent by hand",
    about: tuple[str, int] | None = None,
) -> Survey:
    """Send a survey to the client's contacts (every one with an address, or those
    named), for a caller that has checked the rights (a person through send_survey, or a
    playbook step). One invitation and one queued e-mail per recipient."""
    version = definition.current_version()
    if version is None or not definition.is_active:
        raise invalid("definition", "This survey has no active version to send.")
    chosen = contacts if contacts is not None else list(client.contacts.exclude(email=""))
    recipients = [c for c in chosen if c.email and c.client_id == client.pk]
    if not recipients:
        raise invalid("contacts", "The client has no contact with an e-mail address.")
    now = timezone.now()
    with transaction.atomic():
        survey = Survey.objects.create(
            version=version,
            client=client,
            service_line=service_line[:80],
            cause=cause[:120],
            about_type=about[0] if about else "",
            about_id=about[1] if about else None,
            sent_by=by if getattr(by, "pk", None) else None,
            sent_at=now,
        )
        for contact in recipients:
            invitation = SurveyInvitation.objects.create(
                survey=survey,
                contact=contact,
                email=contact.email,
                name=contact.name,
                nonce=links.new_nonce(),
                sent_at=now,
                expires_at=now + timedelta(days=settings.VOICE_SURVEY_LINK_DAYS),
                reminder_due_at=now + timedelta(days=settings.VOICE_REMINDER_DAYS),
            )
            queue_message(
                outgoing=_survey_mail(invitation, reminder=False),
                client=client,
                cause=f"survey invitation {invitation.pk}",
                by=by,
            )
    emit(events.SurveySent(survey=survey, recipients=len(recipients), by=by))
    return survey


@transaction.atomic
def send_survey(
    *,
    by: Any,
    definition: SurveyDefinition,
    client: Client,
    contacts: list[Contact] | None = None,
    service_line: str = "",
) -> Survey:
    """Send a survey by hand to the client's contacts."""
    _require_client_editor(by, client)
    return dispatch_survey(
        definition=definition, client=client, by=by, contacts=contacts, service_line=service_line
    )


def remind_invitation(invitation: SurveyInvitation) -> str:
    """The one reminder of an unanswered invitation (fired by the worker)."""
    if invitation.answered_at is not None or timezone.now() >= invitation.expires_at:
        return "no reminder: answered or expired"
    move(invitation, "remind")
    queue_message(
        outgoing=_survey_mail(invitation, reminder=True),
        client=invitation.survey.client,
        cause=f"survey reminder {invitation.pk}",
    )
    return "reminded"


# Answering -----------------------------------------------------------------------------


def answer_survey(*, token: str, raw: dict[str, Any]) -> SurveyAnswer:
    """Record an answer through a survey link. The link is checked (altered, expired,
    used: links.LinkRefused), the answers against the version's questions (out of range:
    ValidationError naming the question); the link is spent by compare-and-set, so of two
    answers at once one wins. A detractor opens a follow-up and, by rule, a complaint."""
    with transaction.atomic():
        invitation = links.resolve(token, for_update=True)
        version = invitation.survey.version
        values = check_answers(version.questions, raw)
        now = timezone.now()
        spent = SurveyInvitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(
            answered_at=now
        )
        if not spent:
            raise links.LinkRefused("used", "This survey has already been answered. Thank you!")
        move(invitation, "answer")
        kinds = {q["key"]: q["kind"] for q in version.questions}
        nps = next((v for k, v in values.items() if kinds[k] == "nps"), None)
        csat = next((v for k, v in values.items() if kinds[k] == "csat"), None)
        comment = " ".join(str(v) for k, v in values.items() if kinds[k] == "text")
        answer = SurveyAnswer.objects.create(
            invitation=invitation,
            survey=invitation.survey,
            client=invitation.survey.client,
            version=version,
            values=values,
            nps=nps,
            csat=csat,
            comment=comment,
            answered_at=now,
        )
        if answer.is_detractor:
            _open_follow_up(answer)
    emit(events.SurveyAnswered(answer=answer, detractor=answer.is_detractor))
    return answer


def _calendar_of(client: Client) -> Any:
    found = BusinessCalendar.objects.filter(business_unit_id=client.business_unit_id).first()
    return found.working_calendar() if found else default_calendar()


def follow_up_due(client: Client, start: datetime) -> datetime:
    """One business day from `start` in the client's unit's business hours."""
    return _calendar_of(client).add_business_minutes(start, FOLLOW_UP_BUSINESS_MINUTES)


def rule_for(client: Client) -> DetractorRule | None:
    return (
        DetractorRule.objects.filter(business_unit_id=client.business_unit_id).first()
        or DetractorRule.objects.filter(business_unit__isnull=True).first()
    )


def _open_follow_up(answer: SurveyAnswer) -> FollowUp:
    client = answer.client
    owner = account_manager_of(client) or answer.survey.sent_by
    if owner is None:
        owner = User.objects.filter(is_active=True, business_units=client.business_unit_id).first()
    if owner is None:
        raise invalid("client", "The client has nobody to follow up a detractor.")
    follow_up = FollowUp.objects.create(
        answer=answer,
        client=client,
        owner=owner,
        created_at=answer.answered_at,
        due_at=follow_up_due(client, answer.answered_at),
    )
    if owner.email:
        score = f"NPS {answer.nps}" if answer.nps is not None else f"CSAT {answer.csat}"
        queue_message(
            outgoing=Outgoing(
                subject=f"Detractor at {client.name}: call back within a business day",
                body_text=(
                    f"{answer.invitation.name or answer.invitation.email} answered "
                    f"{answer.survey.version.definition.name} with {score}.\n\n"
                    f"{answer.comment or '(no comment)'}\n\nPlease call back by "
                    f"{timezone.localtime(follow_up.due_at):%A %d %B %H:%M}."
                ),
                to=[f"user:{owner.username}"],
            ),
            client=client,
            cause=f"detractor follow-up {follow_up.pk}",
        )
    rule = rule_for(client)
    if rule and _rule_opens_complaint(rule, answer):
        category = ComplaintCategory.objects.filter(is_active=True).order_by("id").first()
        complaint = raise_complaint(
            by=owner,
            client=client,
            channel="email",
            severity=rule.severity,
            category=category,
            summary=f"Detractor survey answer ({_score_text(answer)})"[:200],
            description=answer.comment or f"A survey answer of {_score_text(answer)}.",
            contact=answer.invitation.contact,
            owner=owner,
        )
        FollowUp.objects.filter(pk=follow_up.pk).update(complaint=complaint)
        follow_up.complaint = complaint
    return follow_up


def _score_text(answer: SurveyAnswer) -> str:
    return f"NPS {answer.nps}" if answer.nps is not None else f"CSAT {answer.csat}"


def _rule_opens_complaint(rule: DetractorRule, answer: SurveyAnswer) -> bool:
    by_nps = rule.complaint_at_nps is not None and answer.nps is not None
    by_csat = rule.complaint_at_csat is not None and answer.csat is not None
    return bool(
        (by_nps and answer.nps <= rule.complaint_at_nps)  # type: ignore[operator]
        or (by_csat and answer.csat <= rule.complaint_at_csat)  # type: ignore[operator]
    )


@transaction.atomic
def save_detractor_rule(
    *,
    by: Any,
    business_unit: Any = None,
    complaint_at_nps: int | None,
    complaint_at_csat: int | None,
    severity: str = "medium",
) -> DetractorRule:
    """Set when a detractor also opens a complaint (per unit, or the default)."""
    require_capability(by, Capability.MANAGE_COMPLAINTS)
    problems = Problems()
    if complaint_at_nps is not None and not 0 <= complaint_at_nps <= 6:
        problems.add("complaint_at_nps", "A detractor's NPS is 0 to 6.")
    if complaint_at_csat is not None and not 1 <= complaint_at_csat <= 2:
        problems.add("complaint_at_csat", "A detractor's CSAT is 1 or 2.")
    if severity not in ("low", "medium", "high", "critical"):
        problems.add("severity", "Choose low, medium, high or critical.")
    problems.raise_if_any()
    rule, _ = DetractorRule.objects.update_or_create(
        business_unit=business_unit,
        defaults={
            "complaint_at_nps": complaint_at_nps,
            "complaint_at_csat": complaint_at_csat,
            "severity": severity,
        },
    )
    return rule


@transaction.atomic
def complete_follow_up(*, by: Any, follow_up: FollowUp, note: str = "") -> FollowUp:
    """The account manager spoke to the detractor."""
    _require_client_editor(by, follow_up.client)
    if follow_up.state != FollowUpState.OPEN:
        raise invalid("state", "This follow-up is already done.")
    move(follow_up, "complete", done_at=timezone.now(), note=note[:4000])
    emit(events.DetractorFollowedUp(follow_up=follow_up, by=by))
    return follow_up


# Observations --------------------------------------------------------------------------


@transaction.atomic
def record_observation(
    *,
    by: Any,
    client: Client,
    category: str,
    sentiment: str,
    text: str,
    program: Any = None,
    recorded_at: datetime | None = None,
) -> Observation:
    """Record what a customer told the service team about a client's program."""
    _require_voice(by, client)
    problems = Problems()
    if category not in ObservationCategory.values:
        problems.add("category", f"Choose one of: {', '.join(ObservationCategory.values)}.")
    if sentiment not in Sentiment.values:
        problems.add("sentiment", f"Choose one of: {', '.join(Sentiment.values)}.")
    if not text.strip():
        problems.add("text", "Say what the customer told you.")
    if program is not None and program.client_id != client.pk:
        problems.add("program", "That program is not this client's.")
    problems.raise_if_any()
    observation = Observation.objects.create(
        client=client,
        program=program,
        category=category,
        sentiment=sentiment,
        text=text.strip(),
        recorded_by=by,
        recorded_at=recorded_at or timezone.now(),
    )
    emit(events.ObservationRecorded(observation=observation, by=by))
    return observation


# Feedback meetings ---------------------------------------------------------------------


@transaction.atomic
def schedule_feedback_meeting(
    *,
    by: Any,
    client: Client,
    title: str,
    starts_at: datetime,
    attendees: list[str],
    every_days: int = 30,
    duration_minutes: int = 60,
    program: Any = None,
    location: str = "",
) -> FeedbackSeries:
    """Set up a recurring feedback meeting: the series, its first session, and one
    recurring calendar invitation (RRULE every `every_days` days) to the attendees."""
    _require_client_editor(by, client)
    problems = Problems()
    if not title.strip():
        problems.add("title", "Give the meeting a title.")
    if not 7 <= every_days <= 120:
        problems.add("every_days", "Meet every 7 to 120 days.")
    if not 15 <= duration_minutes <= 480:
        problems.add("duration_minutes", "A meeting lasts 15 minutes to 8 hours.")
    if not attendees:
        problems.add("attendees", "Invite at least one person.")
    if program is not None and program.client_id != client.pk:
        problems.add("program", "That program is not this client's.")
    problems.raise_if_any()
    series = FeedbackSeries.objects.create(
        client=client, program=program, title=title.strip(), every_days=every_days, owner=by
    )
    meeting = book_meeting(
        organizer=by,
        client=client,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=duration_minutes),
        attendees=attendees,
        location=location,
        description="Cross-team feedback: marketing, account management and the service team.",
        recurrence=f"FREQ=DAILY;INTERVAL={every_days}",
    )
    FeedbackSeries.objects.filter(pk=series.pk).update(meeting=meeting)
    series.meeting = meeting
    FeedbackSession.objects.create(series=series, starts_at=starts_at)
    return series


@dataclass(frozen=True)
class ActionPlan:
    title: str
    owner: User
    due_date: date


def _action_timers(due_date: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    remind = datetime.combine(due_date - timedelta(days=1), time(9), tzinfo=zone)
    escalate = datetime.combine(due_date + timedelta(days=1), time(9), tzinfo=zone)
    return remind, escalate


@transaction.atomic
def hold_feedback_meeting(
    *,
    by: Any,
    session: FeedbackSession,
    minutes: str,
    actions: list[ActionPlan] = (),  # type: ignore[assignment]
) -> FeedbackSession:
    """Record a session's minutes and action items; its agenda is kept as it stood, and
    the next session is planned `every_days` later. Open items of earlier sessions stay
    open and show on the next agenda until done."""
    from retainops.voice.agenda import assemble

    series = session.series
    _require_client_editor(by, series.client)
    problems = Problems()
    if session.state != SessionState.PLANNED:
        problems.add("state", "This meeting's minutes are already recorded.")
    if not minutes.strip():
        problems.add("minutes", "Write the minutes.")
    for i, plan in enumerate(actions):
        if not plan.title.strip():
            problems.add(f"actions[{i}].title", "Say what is to be done.")
        if plan.due_date < timezone.localdate():
            problems.add(f"actions[{i}].due_date", "A due date cannot be in the past.")
    problems.raise_if_any()
    agenda = [section.as_dict() for section in assemble(session)]
    move(session, "hold", minutes=minutes.strip(), held_at=timezone.now(), agenda=agenda)
    for plan in actions:
        remind, escalate = _action_timers(plan.due_date)
        ActionItem.objects.create(
            session=session,
            series=series,
            title=plan.title.strip(),
            owner=plan.owner,
            due_date=plan.due_date,
            remind_at=remind,
            escalate_at=escalate,
        )
    FeedbackSession.objects.create(
        series=series, starts_at=session.starts_at + timedelta(days=series.every_days)
    )
    emit(events.FeedbackMeetingHeld(session=session, by=by))
    return session


@transaction.atomic
def complete_action_item(*, by: Any, action: ActionItem) -> ActionItem:
    """The action item was done: it leaves the agendas and its timers stop."""
    _require_client_editor(by, action.series.client)
    if action.state != ActionItemState.OPEN:
        raise invalid("state", "This action item is already done.")
    move(action, "complete", done_at=timezone.now())
    emit(events.ActionItemChanged(action=action, change="done", by=by))
    return action


__all__ = ["InvitationState"]
