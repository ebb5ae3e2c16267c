"""The demo's voice of the customer: two years of quarterly NPS and go-live CSAT surveys
answered by the demo clients' contacts, with a trend per unit (one unit recovering from
a bad year, the others steady or slipping); the recent detractors followed up (the
last one still open); what the service team heard; and two feedback meetings with
action items, one done and one carried over.

History is written as rows dated in the past (sending two years of surveys through the
outbox would fill it with mail nobody reads); the recent detractors go through the
services, so their follow-ups, complaints and messages are the real ones.
"""

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from retainops.clients.choices import ClientStatus
from retainops.clients.demo import demo_clients
from retainops.core.models import User
from retainops.voice import links, services
from retainops.voice.choices import InvitationState
from retainops.voice.models import (
    FeedbackSeries,
    Observation,
    Survey,
    SurveyAnswer,
    SurveyDefinition,
    SurveyInvitation,
)

SEED = 2011
QUARTERS = 8
COMMENTS = {
    "promoter": ["Great results this quarter", "Our account manager is superb", "Leads are up"],
    "passive": ["Fine overall", "Reports could be clearer", "Decent, a bit slow to answer"],
    "detractor": [
        "The monthly report arrived late again",
        "Our invoice was wrong and nobody called back",
        "Ad spend ran over without our approval",
    ],
}
OBSERVATIONS = [
    ("results", "negative", "Caller says the landing page is slow on mobile and visitors leave"),
    ("service", "negative", "Customer complained that nobody returns their calls"),
    ("praise", "positive", "Customer loved the new campaign visuals"),
    ("billing", "neutral", "Asked when the credit note for last month arrives"),
]


def _score(rng: random.Random, mean: float) -> int:
    return max(0, min(10, round(rng.gauss(mean, 2.0))))


def _unit_means(unit_ids: list[int]) -> dict[int, list[float]]:
    """Each unit's mean score per quarter: the first recovers, the second slips."""
    shapes = [
        [5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.3, 8.6],
        [8.5, 8.4, 8.0, 7.8, 7.4, 7.2, 7.0, 6.8],
        [7.8] * QUARTERS,
    ]
    return {unit: shapes[i % len(shapes)] for i, unit in enumerate(unit_ids)}


def _history(clients: list, by: User, rng: random.Random) -> int:
    nps = SurveyDefinition.objects.get(code="nps")
    version = nps.current_version()
    assert version is not None
    now = timezone.now()
    means = _unit_means(sorted({c.business_unit_id for c in clients}))
    answers = 0
    for quarter in range(QUARTERS):
        sent_at = now - timedelta(days=91 * (QUARTERS - quarter) - 7)
        for client in clients:
            contacts = list(client.contacts.exclude(email="")[:3])
            if not contacts:
                continue
            survey = Survey.objects.create(
                version=version,
                client=client,
                service_line=rng.choice(["SEO", "Paid ads", "Social"]),
                cause="quarterly survey",
                sent_by=by,
                sent_at=sent_at,
            )
            for contact in contacts:
                answered = rng.random() < 0.55
                at = sent_at + timedelta(days=rng.randint(0, 6), hours=rng.randint(1, 8))
                invitation = SurveyInvitation.objects.create(
                    survey=survey,
                    contact=contact,
                    email=contact.email,
                    name=contact.name,
                    nonce=links.new_nonce(),
                    sent_at=sent_at,
                    expires_at=sent_at + timedelta(days=14),
                    reminder_due_at=sent_at + timedelta(days=5),
                    reminder_fired_at=sent_at + timedelta(days=5),
                    answered_at=at if answered else None,
                )
                state = InvitationState.ANSWERED if answered else InvitationState.REMINDED
                SurveyInvitation.objects.filter(pk=invitation.pk).update(state=state)
                if not answered:
                    continue
                score = _score(rng, means[client.business_unit_id][quarter])
                kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                comment = rng.choice(COMMENTS[kind]) if rng.random() < 0.6 else ""
                SurveyAnswer.objects.create(
                    invitation=invitation,
                    survey=survey,
                    client=client,
                    version=version,
                    values={"score": score, **({"why": comment} if comment else {})},
                    nps=score,
                    comment=comment,
                    answered_at=at,
                )
                answers += 1
    return answers


def _recent_detractors(clients: list, by: User) -> int:
    """Three fresh detractors through the services: two followed up, one still open."""
    nps = SurveyDefinition.objects.get(code="nps")
    made = 0
    for i, client in enumerate(clients[:3]):
        if not client.contacts.exclude(email="").exists():
            continue
        survey = services.dispatch_survey(
            definition=nps, client=client, by=by, cause="after the 30-day optimization meeting"
        )
        invitation = survey.invitations.order_by("id").first()
        answer = services.answer_survey(
            token=links.token_for(invitation),  # type: ignore[arg-type]
            raw={"score": str(2 + i), "why": COMMENTS["detractor"][i]},
        )
        if i < 2:
            services.complete_follow_up(
                by=answer.follow_up.owner,
                follow_up=answer.follow_up,
                note="Called back; agreed a fix and a date.",
            )
        made += 1
    return made


def _observations(clients: list, agent: User, rng: random.Random) -> int:
    now = timezone.now()
    for i, client in enumerate(clients[:8]):
        category, sentiment, text = OBSERVATIONS[i % len(OBSERVATIONS)]
        observation = services.record_observation(
            by=agent, client=client, category=category, sentiment=sentiment, text=text
        )
        Observation.objects.filter(pk=observation.pk).update(
            recorded_at=now - timedelta(days=rng.randint(1, 60))
        )
    return min(8, len(clients))


def _meetings(clients: list, by: User) -> int:
    now = timezone.now()
    for n, client in enumerate(clients[:2]):
        series = services.schedule_feedback_meeting(
            by=by,
            client=client,
            title=f"{client.name}: cross-team feedback",
            starts_at=now.replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1),
            attendees=[f"user:{by.username}"],
            every_days=28,
        )
        first = series.sessions.get()
        services.hold_feedback_meeting(
            by=by,
            session=first,
            minutes="Reviewed the survey results and the service team's notes.",
            actions=[
                services.ActionPlan(
                    "Send the report with commentary", by, date.today() + timedelta(days=7)
                ),
                services.ActionPlan(
                    "Check landing-page speed", by, date.today() + timedelta(days=14)
                ),
            ],
        )
        if n == 0:
            services.complete_action_item(by=by, action=first.action_items.order_by("id")[0])
    return 2


def seed_voice() -> list[str]:
    """Once: the demo's surveys, detractors, observations and feedback meetings."""
    by = User.objects.filter(username="account_manager").first()
    agent = User.objects.filter(username="service_team").first() or by
    if by is None or agent is None:
        return ["Demo voice of the customer: no demo staff."]
    clients = list(demo_clients().filter(status=ClientStatus.ACTIVE).order_by("id")[:30])
    if not clients or Survey.objects.filter(client__in=clients).exists():
        return ["Demo voice of the customer: already there."]
    rng = random.Random(SEED)
    mine = [c for c in clients if c.business_unit_id in set(by.unit_ids())]
    with transaction.atomic():
        answers = _history(clients, by, rng)
        detractors = _recent_detractors(mine, by)
        observations = _observations(mine, agent, rng)
        meetings = _meetings(mine, by) if FeedbackSeries.objects.count() == 0 else 0
    return [
        f"Demo voice of the customer: {answers} survey answers over two years, "
        f"{detractors} recent detractors followed up, {observations} observations, "
        f"{meetings} feedback meetings."
    ]
