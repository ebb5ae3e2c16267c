"""Demo performance: programs in flight for two years on active demo clients of one
industry, with daily metrics that follow the seasons (a dip in late winter, a peak in
November and December, quieter weekends), targets agreed at sale, and a story:

- most programs pace on budget and meet their targets;
- two have spent well under their budget this month (the pacing sweep warns their AM);
- one younger program was sold on a click-through rate beyond what three in four
  comparable programs achieved, with a reason, and is now missing it.

The programs are written directly as live (their onboarding is long past); the targets go
through the services so the comparison with comparable programs is the real one; the
metric history is written in bulk.
"""

import math
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from retainops.clients.choices import ClientStatus
from retainops.clients.demo import ADMIN_USERNAME, demo_clients
from retainops.clients.models import Client, ServiceLine
from retainops.core.models import User
from retainops.onboarding.choices import ProgramStatus
from retainops.onboarding.models import Program, ProgramService
from retainops.performance import services, sweeps
from retainops.performance.choices import BaseMetric
from retainops.performance.models import Kpi, MetricSource, MetricValue, ProgramKpi

SEED = 20262
HISTORY_DAYS = 730
# The younger program sold on an over-promise, and how long ago it started.
YOUNG_DAYS = 150
# Programs with two years behind them (at most), and how many of them under-pace.
RUNNING = 8
UNDER_PACING = 2
BATCH = 5000
NAME_SUFFIX = ": performance media"
LINES = [("targeted-display", Decimal("2400")), ("sem", Decimal("1600"))]
CONVERSION_VALUE = Decimal("45")

# Per line: cost per thousand impressions, click-through rate (%), and the share of
# clicks that convert (display) or become leads (search).
PROFILE = {
    "targeted-display": (6.0, 0.18, 0.020, BaseMetric.CONVERSIONS),
    "sem": (28.0, 3.2, 0.070, BaseMetric.LEADS),
}


def _season(day: date) -> float:
    """Demand through the year: low in February, high in November and December."""
    yearly = 1 + 0.18 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 120) / 365)
    holidays = 1.2 if day.month in (11, 12) else 1.0
    weekend = 0.8 if day.weekday() >= 5 else 1.0
    return yearly * holidays * weekend


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _rows(
    program: Program,
    service: ServiceLine,
    budget: Decimal,
    *,
    quality: float,
    under_from: date | None,
    today: date,
    source: MetricSource,
    rng: random.Random,
) -> list[MetricValue]:
    cpm, ctr, rate, outcome = PROFILE[service.code]
    daily = float(budget) * 12 / 365
    rows = []
    day = program.start_date
    while day < today:
        season = _season(day)
        pace = 0.62 if under_from is not None and day >= under_from else 1.0
        spend = daily * pace * rng.uniform(0.92, 1.08) * (0.9 + 0.1 * season)
        # Busy weeks cost more per impression; people click more when they are shopping.
        impressions = spend / (cpm * (0.85 + 0.15 * season)) * 1000
        clicks = impressions * ctr / 100 * quality * season * rng.uniform(0.85, 1.15)
        results = clicks * rate * quality * rng.uniform(0.7, 1.3)
        for metric, value in (
            (BaseMetric.SPEND, _money(spend)),
            (BaseMetric.IMPRESSIONS, Decimal(round(impressions))),
            (BaseMetric.CLICKS, Decimal(round(clicks))),
            (outcome, Decimal(round(results))),
        ):
            rows.append(
                MetricValue(
                    program=program,
                    service=service,
                    source=source,
                    date=day,
                    metric=metric,
                    value=value,
                    currency="USD" if metric == BaseMetric.SPEND else "",
                )
            )
        day += timedelta(days=1)
    return rows


def _clients() -> list[Client]:
    """Active demo clients of the industry with the most of them (comparable programs)."""
    active = demo_clients().filter(status=ClientStatus.ACTIVE)
    top = active.values("industry").annotate(n=Count("id")).order_by("-n", "industry").first()
    if top is None:
        return []
    return list(active.filter(industry=top["industry"]).order_by("id")[: RUNNING + 1])


def _program(client: Client, start: date, today: date, admin: User) -> Program:
    program = Program.objects.create(
        client=client,
        name=f"{client.name}{NAME_SUFFIX}",
        status=ProgramStatus.LIVE,
        start_date=start,
        end_date=today + timedelta(days=365),
        details={"landing_page": "https://client.example/offer"},
        sold_at=_midnight(start - timedelta(days=21)),
        sold_by=admin,
        went_live_at=_midnight(start),
    )
    lines = {code: ServiceLine.objects.get(code=code) for code, _budget in LINES}
    ProgramService.objects.bulk_create(
        ProgramService(program=program, service=lines[code], monthly_budget=budget)
        for code, budget in LINES
    )
    services.set_terms(by=admin, program=program, conversion_value=CONVERSION_VALUE)
    return program


def _agree(
    program: Program, admin: User, targets: list[services.TargetInput], sold_on: date
) -> None:
    saved = services.set_targets(
        by=admin,
        program=program,
        targets=targets,
        agreed_with="The client's marketing director",
        today=sold_on,
    )
    ProgramKpi.objects.filter(pk__in=[t.pk for t in saved]).update(agreed_at=_midnight(sold_on))


def _targets(ctr: float, leads: float, cpl: float, reason: str = "") -> list[services.TargetInput]:
    display = ServiceLine.objects.get(code="targeted-display")
    sem = ServiceLine.objects.get(code="sem")
    kpis = {k.key: k for k in Kpi.objects.filter(key__in=["ctr", "leads", "cpl"])}
    return [
        services.TargetInput(display, kpis["ctr"], f"{ctr:.3f}", 90, reason),
        services.TargetInput(sem, kpis["leads"], f"{leads:.0f}", 90),
        services.TargetInput(sem, kpis["cpl"], f"{cpl:.2f}", 90),
    ]


@transaction.atomic
def seed_performance() -> list[str]:
    """Two years of daily metrics on demo programs with targets (once)."""
    if Program.objects.filter(name__endswith=NAME_SUFFIX).exists():
        return ["Demo performance: already there."]
    clients = _clients()
    if len(clients) < 2:
        return ["Demo performance: too few active demo clients to compare programs."]
    admin = User.objects.get(username=ADMIN_USERNAME)
    source = MetricSource.objects.get(key="ad-platform")
    rng = random.Random(SEED)
    today = timezone.localdate()
    month_start = today.replace(day=1)
    *running, young = clients
    made = 0
    under = []
    for index, client in enumerate(running):
        start = today - timedelta(days=HISTORY_DAYS)
        program = _program(client, start, today, admin)
        quality = rng.uniform(0.85, 1.2)
        # The first ones slipped under their budget since the start of last week.
        under_from = None
        if index < UNDER_PACING:
            under_from = min(month_start, today - timedelta(days=10))
            under.append(program.name)
        rows: list[MetricValue] = []
        for code, budget in LINES:
            line = ServiceLine.objects.get(code=code)
            rows += _rows(
                program,
                line,
                budget,
                quality=quality,
                under_from=under_from,
                today=today,
                source=source,
                rng=rng,
            )
        MetricValue.objects.bulk_create(rows, batch_size=BATCH)
        made += len(rows)
        # Agreed at sale without comparables yet: what the agency expected of the line.
        _agree(program, admin, _targets(0.18, 70, 24), start - timedelta(days=21))
    # The younger program: sold on a click-through rate beyond the comparable programs.
    start = today - timedelta(days=YOUNG_DAYS)
    sold_on = start - timedelta(days=21)
    program = _program(young, start, today, admin)
    rows = []
    for code, budget in LINES:
        line = ServiceLine.objects.get(code=code)
        rows += _rows(
            program,
            line,
            budget,
            quality=0.7,
            under_from=None,
            today=today,
            source=source,
            rng=rng,
        )
    MetricValue.objects.bulk_create(rows, batch_size=BATCH)
    made += len(rows)
    _agree(
        program,
        admin,
        _targets(
            0.32,
            70,
            24,
            reason="The client was quoted this rate by a competitor and would not sign for less.",
        ),
        sold_on,
    )
    services.write_note(
        by=admin,
        program=program,
        period=(month_start - timedelta(days=1)).replace(day=1),
        text=(
            "Display is still well below the click-through rate agreed at sale; "
            "we are testing new creative and narrowing the audience this month."
        ),
    )
    warned = sweeps.check_pacing(today=today).warned
    return [
        f"Demo performance: {len(clients)} programs in flight, {made:,} daily metric values; "
        f"{warned} pacing warnings ({', '.join(under)} under budget this month); "
        f"{program.name} promised beyond the comparable programs and missing it."
    ]
