"""The worker's two performance sources: pacing (the AM told once per episode off the
bands) and the monthly report to the client (once per program and period).

Once per period: the `ReportSend` row (unique per program and period) and its outbox
message are written in one transaction. A worker that dies before the commit leaves
neither, and the next pass sends; one that dies after leaves both, and the next pass
finds the row and sends nothing. Delivering the message is then the outbox's work,
which keeps one Message-ID across attempts.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from retainops.core.due_work import DueWorkSource
from retainops.core.events import emit
from retainops.core.site import absolute
from retainops.messaging.services import Attachment, Outgoing, queue_message
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program
from retainops.performance import events
from retainops.performance.choices import PaceState, SendState
from retainops.performance.measures import pacing_of
from retainops.performance.models import PacingEpisode, ReportSend
from retainops.performance.reports import build_report, last_day, report_html, report_pdf

# After the timers and clock notices, before the outbox: what they queue leaves this pass.
ORDER = 18


@dataclass
class SweepReport:
    warned: int = 0
    closed: int = 0
    sent: int = 0
    skipped: int = 0

    @property
    def handled(self) -> int:
        return self.warned + self.closed + self.sent + self.skipped


# Pacing ----------------------------------------------------------------------------------


def _warn(program: Program, episode: PacingEpisode) -> Any:
    what = "under-pacing" if episode.state == PaceState.UNDER else "over-pacing"
    url = absolute(reverse("performance:program", args=[program.pk]))
    try:
        return queue_message(
            outgoing=Outgoing(
                subject=f"{program.name} is {what} ({episode.pace:.0%} of budget to date)",
                body_text=(
                    f"{program.name} for {program.client.name} has spent {episode.pace:.0%} "
                    f"of its budget to date on {episode.started_on:%d %B %Y}, outside the "
                    f"pacing bands ({settings.PERFORMANCE_PACE_UNDER:.0%} to "
                    f"{settings.PERFORMANCE_PACE_OVER:.0%}).\n\nSee {url}\n"
                ),
                to=["role:account_manager"],
            ),
            client=program.client,
            cause=f"program {program.pk}: {what}",
        )
    except ValidationError:
        return None  # nobody holds the role: the episode is still recorded on the page


def check_pacing(*, today: date) -> SweepReport:
    """Open an episode (and tell the AM) for each live program that moved off the bands
    as of yesterday; close the episode of each that came back."""
    as_of = today - timedelta(days=1)
    report = SweepReport()
    programs = list(
        Program.objects.filter(
            status=ProgramStatus.LIVE, start_date__lte=as_of, end_date__gte=as_of
        ).select_related("client")
    )
    pacing = pacing_of(programs, as_of=as_of)
    open_episodes = {
        e.program_id: e
        for e in PacingEpisode.objects.filter(program__in=programs, ended_on__isnull=True)
    }
    for program in programs:
        figures = pacing.get(program.pk)
        if figures is None or figures.pace is None:
            continue
        state = figures.state
        current = open_episodes.get(program.pk)
        if current is not None and current.state == state:
            continue
        with transaction.atomic():
            if current is not None:
                PacingEpisode.objects.filter(pk=current.pk, ended_on__isnull=True).update(
                    ended_on=as_of
                )
                report.closed += 1
            if state == PaceState.ON:
                continue
            episode = PacingEpisode.objects.create(
                program=program, state=state, started_on=as_of, pace=figures.pace
            )
            episode.message = _warn(program, episode)
            episode.save(update_fields=["message"])
            emit(events.PacingOffTrack(episode=episode))
            report.warned += 1
    return report


# Monthly reports --------------------------------------------------------------------------


def due_period(today: date) -> date | None:
    """The month whose report is due on `today` (the previous one, from the report day)."""
    if today.day < settings.PERFORMANCE_REPORT_DAY:
        return None
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def programs_due(period: date) -> list[Program]:
    return list(
        Program.objects.filter(
            status__in=[ProgramStatus.LIVE, ProgramStatus.ENDED],
            start_date__lte=last_day(period),
            end_date__gte=period,
        )
        .exclude(report_sends__period=period)
        .select_related("client")
        .order_by("pk")
    )


def send_report(program: Program, *, period: date, today: date) -> ReportSend | None:
    """Queue the program's report for `period` to the client's contacts, once: None when
    it was already queued."""
    try:
        with transaction.atomic():
            send = ReportSend.objects.create(program=program, period=period, state=SendState.QUEUED)
            report = build_report(program, period=period, today=today)
            pdf = report_pdf(report)
            body = (
                f"Hello,\n\nHere is the report of {program.name} for {period:%B %Y}: KPIs "
                "against their targets, pacing and trends, with our notes. We will go "
                "through it with you on our monthly call.\n"
            )
            try:
                message = queue_message(
                    outgoing=Outgoing(
                        subject=f"Your report: {report.title}",
                        body_text=body,
                        body_html=report_html(report, for_mail=True),
                        to=["contacts"],
                        attachments=[
                            Attachment(
                                filename=f"report-{program.pk}-{period:%Y-%m}.pdf",
                                content_type="application/pdf",
                                content=pdf,
                            )
                        ],
                    ),
                    client=program.client,
                    cause=f"program {program.pk}: report {period:%Y-%m}",
                )
            except ValidationError as error:
                send.state = SendState.SKIPPED
                send.note = "; ".join(m for ms in error.message_dict.values() for m in ms)[:300]
                send.save(update_fields=["state", "note"])
                return send
            send.message = message
            send.save(update_fields=["message"])
            emit(events.ReportSent(send=send, program=program))
            return send
    except IntegrityError:
        return None  # another pass queued it first


def send_reports(*, today: date, limit: int | None = None) -> SweepReport:
    report = SweepReport()
    period = due_period(today)
    if period is None:
        return report
    for program in programs_due(period)[:limit]:
        send = send_report(program, period=period, today=today)
        if send is None:
            continue
        if send.state == SendState.QUEUED:
            report.sent += 1
        else:
            report.skipped += 1
    return report


def _sweep(*, now: datetime, worker: str) -> SweepReport:
    today = timezone.localdate(now)
    paced = check_pacing(today=today)
    sent = send_reports(today=today, limit=settings.WORKER_BATCH_SIZE)
    return SweepReport(paced.warned, paced.closed, sent.sent, sent.skipped)


def _drain(*, now: datetime, worker: str) -> SweepReport:
    today = timezone.localdate(now)
    paced = check_pacing(today=today)
    sent = send_reports(today=today)
    return SweepReport(paced.warned, paced.closed, sent.sent, sent.skipped)


def describe(report: SweepReport) -> str | None:
    if not report.handled:
        return None
    return (
        f"performance: {report.warned} pacing warnings, {report.closed} episodes closed, "
        f"{report.sent} reports queued, {report.skipped} skipped"
    )


SOURCE = DueWorkSource(
    name="performance", order=ORDER, sweep=_sweep, drain=_drain, describe=describe
)
