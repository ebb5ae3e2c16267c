"""The clients' demo story behind `retainops seed_demo`.

Two fictional business units, a demo login per built-in role, extra staff so
client teams vary, and N clients with two years of life: sales, go-lives,
renewals, budget changes, pauses, notices and cancellations.

Each client's life is simulated in memory with the models' own FSM
transitions; every change is captured as a dated snapshot. The final objects
and all their history rows are then written with bulk inserts, so the audit
trail carries the day each event happened and 20,000 clients load in minutes.

Everything about a client is drawn from ``random.Random(seed + index)`` and
its name from a permutation of word lists, so re-running is stable: clients
are identified by ``external_id`` (``DEMO-00001``...) and only missing ones are
added.
"""

import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from math import gcd
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import get_history_model_for_model

from retainops.clients.choices import ClientStatus, ContractStatus
from retainops.clients.models import (
    Client,
    ClientTeamMember,
    ClientTool,
    Contact,
    Contract,
    ContractLine,
    ServiceLine,
    Tool,
)
from retainops.clients.services import refresh_mrr, renewal_date_for
from retainops.core.capabilities import DEFAULT_ROLE_CAPABILITIES
from retainops.core.choices import RoleCode
from retainops.core.models import BusinessUnit, DemoMarker, Role, Team, User

DEFAULT_CLIENTS = 200
DEFAULT_SEED = 1729
DEMO_PASSWORD = "demo"
ADMIN_USERNAME = "admin"
EXTERNAL_ID_PREFIX = "DEMO-"
CHUNK_SIZE = 500
DAYS_OF_HISTORY = 730

# Units ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPlan:
    """A demo business unit and the short forms used in team names and usernames."""

    code: str
    name: str
    short: str
    tag: str
    contract_prefix: str
    weight: float


UNITS = (
    UnitPlan("northwind", "Northwind Media", "North", "north", "NW", 0.55),
    UnitPlan("bluefin", "Bluefin Digital", "Bluefin", "blue", "BF", 0.45),
)

# People -----------------------------------------------------------------------------

ROLE_PEOPLE: dict[str, tuple[str, str]] = {
    RoleCode.SALES_REP: ("Sofia", "Marsh"),
    RoleCode.CLIENT_SUCCESS_MANAGER: ("Caleb", "Whitfield"),
    RoleCode.ACCOUNT_MANAGER: ("Amara", "Lindqvist"),
    RoleCode.CREATIVE_DIRECTOR: ("Theo", "Castellan"),
    RoleCode.RETENTION_TEAM: ("Rosa", "Delgado"),
    RoleCode.TEAM_LEAD: ("Marcus", "Hale"),
    RoleCode.DEPARTMENT_MANAGER: ("Diane", "Okafor"),
    RoleCode.APPROVER: ("Victor", "Brandt"),
    RoleCode.FINANCE: ("Fiona", "Kerrigan"),
    RoleCode.ACCOUNTING: ("Ibrahim", "Sato"),
    RoleCode.OPERATIONS_LEAD: ("Olivia", "Pryce"),
    RoleCode.PARTNER_TEAM: ("Priya", "Anand"),
    RoleCode.SERVICE_TEAM: ("Desmond", "Reyes"),
    RoleCode.ADMINISTRATOR: ("Hana", "Novak"),
}
ADMIN_PERSON = ("Alex", "Morrow")

# (username abbreviation, role, how many extra per unit) besides the role's demo login.
EXTRA_STAFF: tuple[tuple[str, str, int], ...] = (
    ("am", RoleCode.ACCOUNT_MANAGER, 2),
    ("csm", RoleCode.CLIENT_SUCCESS_MANAGER, 2),
    ("sales", RoleCode.SALES_REP, 2),
    ("cd", RoleCode.CREATIVE_DIRECTOR, 1),
)
STAFF_NAMES = (
    ("Jonah", "Pierce"),
    ("Leila", "Moradi"),
    ("Grace", "Holloway"),
    ("Mateo", "Serrano"),
    ("Nadia", "Petrov"),
    ("Owen", "Fairbanks"),
    ("Camille", "Dufresne"),
    ("Tariq", "Bell"),
    ("Hazel", "Quinlan"),
    ("Ruben", "Achterberg"),
    ("Ivy", "Chandler"),
    ("Felix", "Ortega"),
    ("Mira", "Kowalczyk"),
    ("Jasper", "Lund"),
)

# Client names: a place-like word plus a kind of business (which gives the industry).
PLACES = (
    "Harbor", "Cedar Ridge", "Maple Grove", "Summit", "Riverbend", "Oak Hollow", "Lakeside",
    "Pine Valley", "Stonebridge", "Willow Creek", "Brookside", "Fox Run", "Granite Peak",
    "Silver Lake", "Aspen", "Bayview", "Clearwater", "Copper Hill", "Deer Park", "Eagle Point",
    "Fairview", "Forest Glen", "Green Valley", "Hawthorne", "Heritage", "Highland", "Hillcrest",
    "Ironwood", "Juniper", "Kingsley", "Laurel", "Liberty", "Lighthouse", "Magnolia",
    "Meadowbrook", "Mill Creek", "North Shore", "Oakmont", "Old Town", "Orchard", "Parkside",
    "Prairie", "Quarry", "Red Rock", "Ridgeview", "Rolling Hills", "Sandstone", "Seaside",
    "Shady Oak", "Sierra", "Skyline", "Spring Hill", "Stillwater", "Sunrise", "Tall Pines",
    "Timberline", "Twin Rivers", "Valley View", "Westfield", "Whitestone", "Wildflower",
    "Windmill", "Woodland", "Birchwood", "Blue Heron", "Bramble", "Canyon", "Crescent",
    "Driftwood", "Evergreen", "Falcon", "Foxglove", "Harvest", "Horizon", "Keystone", "Lantern",
    "Marigold", "Northgate", "Oakhurst", "Pebble Creek", "Quail Run", "Rosewood", "Sage",
    "Sterling", "Thistle", "Tidewater", "Trailhead", "Vista", "Westbrook", "Caldwell",
    "Hartley", "Whitaker", "Prescott", "Langford", "Dalton", "Ashby", "Merritt", "Thornton",
    "Redfield", "Bancroft", "Ellison", "Gallagher", "Holbrook", "Kessler", "Mayfield",
)  # fmt: skip
BUSINESSES = (
    ("Dental Group", "Dental"), ("Family Dentistry", "Dental"), ("Orthodontics", "Dental"),
    ("Auto", "Automotive dealer"), ("Motors", "Automotive dealer"),
    ("RV Center", "Automotive dealer"),
    ("Auto Repair", "Automotive services"), ("Collision Center", "Automotive services"),
    ("Tire & Service", "Automotive services"), ("Plumbing", "Home services"),
    ("Heating & Air", "Home services"), ("Roofing", "Home services"),
    ("Landscaping", "Home services"), ("Electric", "Home services"),
    ("Pest Control", "Home services"), ("Flooring", "Home improvement"),
    ("Kitchen & Bath", "Home improvement"), ("Pools & Spas", "Home improvement"),
    ("Law Group", "Legal"), ("Injury Law", "Legal"), ("Family Law", "Legal"),
    ("Realty", "Real estate"), ("Homes", "Home builders"), ("Builders", "Home builders"),
    ("Medical Spa", "Health & beauty"), ("Salon", "Health & beauty"),
    ("Dermatology", "Healthcare"), ("Family Medicine", "Healthcare"),
    ("Physical Therapy", "Healthcare"), ("Chiropractic", "Healthcare"),
    ("Eye Care", "Healthcare"), ("Hearing Center", "Healthcare"),
    ("Veterinary Clinic", "Veterinary"), ("Animal Hospital", "Veterinary"),
    ("Fitness", "Fitness"), ("Yoga Studio", "Fitness"), ("Bistro", "Restaurants"),
    ("Grill", "Restaurants"), ("Pizza Co.", "Restaurants"), ("Brewing Co.", "Food & beverage"),
    ("Coffee Roasters", "Food & beverage"), ("Bakery", "Food & beverage"),
    ("Furniture", "Retail"), ("Outfitters", "Retail"), ("Jewelers", "Retail"),
    ("Boutique", "Retail"), ("Credit Union", "Financial services"),
    ("Wealth Advisors", "Financial services"), ("Insurance Agency", "Insurance"),
    ("Senior Living", "Senior care"), ("Home Care", "Senior care"), ("Academy", "Education"),
    ("Learning Center", "Education"), ("Marina", "Recreation"), ("Golf Club", "Recreation"),
    ("Hotel", "Hospitality"), ("Inn", "Hospitality"), ("Storage", "Self storage"),
    ("Solar", "Energy"), ("Event Center", "Events"), ("Moving Co.", "Moving & logistics"),
)  # fmt: skip
NAME_TIERS = ("", " LLC", " Inc.", " & Associates", " Ltd.")

CONTACT_FIRST = (
    "Alicia", "Ben", "Carmen", "Dev", "Erin", "Frank", "Gina", "Hector", "Isla", "Jamal",
    "Kara", "Luis", "Maya", "Nate", "Opal", "Paul", "Quinn", "Rita", "Sean", "Tara", "Umar",
    "Vera", "Wes", "Xena", "Yusuf", "Zoe", "Abby", "Cole", "Dina", "Eli",
)  # fmt: skip
CONTACT_LAST = (
    "Adler", "Burke", "Coleman", "Dunn", "Everett", "Fischer", "Garza", "Hughes", "Ibarra",
    "Jensen", "Keane", "Lowell", "Mendez", "Nolan", "Osei", "Parrish", "Rowe", "Stein",
    "Tran", "Underwood", "Vance", "Walsh", "Young", "Zamora", "Bishop", "Crane", "Doyle",
)  # fmt: skip
CONTACT_TITLES = (
    "Owner", "Marketing Director", "Office Manager", "General Manager",
    "Marketing Coordinator", "Practice Manager", "Operations Manager", "CFO",
)  # fmt: skip
NOTES = (
    "Prefers a monthly reporting call; send the deck the day before.",
    "Owner approves all creative personally; allow extra review time.",
    "Seasonal business: budgets rise in spring and fall.",
    "Several locations; break reports down per location.",
    "Came through a referral from another client.",
    "Watches cost per lead closely; lead with lead volume in reports.",
    "Marketing is handled by the office manager; keep e-mails short.",
    "Interested in adding OTT next quarter.",
    "Runs promotions around local events; review the calendar monthly.",
    "Billing contact differs from the main contact.",
)
CANCEL_REASONS = (
    "budget cuts",
    "moving marketing in-house",
    "selling the business",
    "unhappy with lead quality",
    "switching to another agency",
    "seasonal closure",
    "new leadership reviewing all vendors",
)
BUDGET_RANGES: dict[str, tuple[int, int]] = {
    "targeted-display": (1500, 12000),
    "seo": (500, 4000),
    "sem": (1000, 15000),
    "ott": (2500, 15000),
    "event-targeting": (500, 6000),
    "website": (500, 2500),
    "social": (750, 8000),
    "email": (500, 2500),
}
DEFAULT_BUDGET_RANGE = (500, 5000)
MIN_BUDGET, MAX_BUDGET = 500, 15000

# Final statuses in a cycle of 50, so any 50 consecutive clients have the exact mix:
# 58% active (a few of them won back), 8% onboarding, 8% paused, 4% cancelling, 22% cancelled.
FATE_COUNTS = {"active": 29, "onboarding": 4, "paused": 4, "cancelling": 2, "cancelled": 11}
WON_BACK_SHARE = 0.06

# Foreign keys to the story's parent objects, unknown until the parents are inserted.
PARENT_LINKS = ("client_id", "contract_id")


# Names --------------------------------------------------------------------------------


def _stride(size: int) -> int:
    """A step coprime with `size`, so index * step walks every name exactly once."""
    for candidate in (7919, 7907, 7901, 7883, 104729):
        if gcd(candidate, size) == 1:
            return candidate
    return 1


def company_name(index: int, seed: int) -> tuple[str, str]:
    """The client's name and industry: unique per index, stable for a given seed."""
    size = len(PLACES) * len(BUSINESSES)
    position = (index % size * _stride(size) + seed) % size
    place = PLACES[position % len(PLACES)]
    business, industry = BUSINESSES[position // len(PLACES)]
    tier = index // size
    suffix = NAME_TIERS[tier] if tier < len(NAME_TIERS) else f" {tier + 1}"
    return f"{place} {business}{suffix}", industry


def fate_cycle(seed: int) -> list[str]:
    """The final statuses in a shuffled cycle; client `index` gets `cycle[index % len]`."""
    cycle = [fate for fate, count in FATE_COUNTS.items() for _ in range(count)]
    random.Random(seed).shuffle(cycle)
    return cycle


# Context --------------------------------------------------------------------------------


@dataclass
class Cast:
    """The demo staff a story may put on a team, by unit and role."""

    roles: dict[str, Role]
    pools: dict[tuple[int, str], list[User]]
    leads: dict[str, User]

    def pick(self, rng: random.Random, unit: BusinessUnit, role: str) -> User:
        pool = self.pools.get((unit.pk, role))
        if not pool:
            raise ValueError(f"No demo account with the role {role} works in {unit}.")
        return rng.choice(pool)

    def others(self, unit: BusinessUnit, role: str, current: User) -> list[User]:
        return [u for u in self.pools.get((unit.pk, role), []) if u.pk != current.pk]


@dataclass
class SeedContext:
    """What every story shares: units, people, catalogue, the clock and the seed."""

    seed: int
    units: list[tuple[UnitPlan, BusinessUnit]]
    cast: Cast
    services: list[ServiceLine]
    tools: list[Tool]
    now: datetime
    fates: list[str] = field(default_factory=list)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def latest(self) -> datetime:
        """No event may be later than this, leaving room for same-day events after it."""
        return self.now - timedelta(hours=1)


@dataclass
class Snapshot:
    """An object's tracked values at one moment, with who changed it and why."""

    obj: models.Model
    values: dict[str, Any]
    when: datetime
    user: User | None
    reason: str
    kind: str


_TRACKED: dict[type[models.Model], tuple[Any, list[str]]] = {}


def _tracked(model: type[models.Model]) -> tuple[Any, list[str]]:
    """The history model of `model` and the attribute names its rows copy (pk aside)."""
    if model not in _TRACKED:
        history_model = get_history_model_for_model(model)
        names = [f.attname for f in history_model.tracked_fields if not f.primary_key]
        _TRACKED[model] = (history_model, names)
    return _TRACKED[model]


# The story of one client -----------------------------------------------------------------


class ClientStory:
    """One client's life, simulated in memory with the models' own transitions.

    Objects end in the state the story reached; `snapshots` holds every dated
    change so the audit trail can be written afterwards in bulk.
    """

    def __init__(self, index: int, ctx: SeedContext) -> None:
        self.index = index
        self.ctx = ctx
        self.rng = random.Random(ctx.seed + index)
        weights = [plan.weight for plan, _unit in ctx.units]
        self.plan, self.unit = self.rng.choices(ctx.units, weights=weights)[0]
        self.snapshots: list[Snapshot] = []
        self.members: dict[str, ClientTeamMember] = {}
        self.contacts: list[Contact] = []
        self.tools: list[ClientTool] = []
        self.removed_tools: list[ClientTool] = []
        self.contracts: list[Contract] = []
        self.lines: list[ContractLine] = []
        self.current_lines: list[ContractLine] = []
        self.opened_at = ctx.now
        self.last_when: datetime | None = None
        self.paused_on: date | None = None
        name, industry = company_name(index, ctx.seed)
        self.client = Client(
            name=name,
            business_unit=self.unit,
            external_id=f"{EXTERNAL_ID_PREFIX}{index + 1:05d}",
            industry=industry,
            website=f"https://www.{self.domain(name)}",
            notes=self.rng.choice(NOTES),
        )

    @staticmethod
    def domain(name: str) -> str:
        """A domain under the reserved `.example` TLD, so no real company is named."""
        return slugify(name).replace("-", "") + ".example"

    # Recording ----------------------------------------------------------------------

    def at(self, day: date) -> datetime:
        """A moment in office hours on `day`, never in the future."""
        minute = self.rng.randint(8 * 60, 18 * 60)
        moment = datetime.combine(
            day, clock_time(minute // 60, minute % 60), tzinfo=timezone.get_current_timezone()
        )
        return min(moment, self.ctx.latest)

    def record(
        self,
        obj: models.Model,
        when: datetime,
        user: User | None,
        reason: str = "",
        kind: str = "~",
    ) -> None:
        """Snapshot `obj` now; times only move forward so diffs read in order."""
        if self.last_when is not None and when <= self.last_when:
            when = self.last_when + timedelta(seconds=1)
        self.last_when = when
        _history, names = _tracked(type(obj))
        values = {name: getattr(obj, name) for name in names}
        self.snapshots.append(Snapshot(obj, values, when, user, reason, kind))

    def staff(self, role: str) -> User:
        """Who holds `role` on this client's team now; they act on its events."""
        return self.members[role].user

    @property
    def contract(self) -> Contract:
        return self.contracts[-1]

    # The plot -------------------------------------------------------------------------

    def tell(self) -> "ClientStory":
        """Play the client's life to today, ending in the status its fate gives."""
        fate = self.ctx.fates[self.index % len(self.ctx.fates)]
        if fate == "active" and self.rng.random() < WON_BACK_SHARE:
            fate = "won_back"
        plots: dict[str, Callable[[], None]] = {
            "active": self._active,
            "won_back": self._won_back,
            "onboarding": self._onboarding,
            "paused": self._paused,
            "cancelling": self._cancelling,
            "cancelled": self._cancelled,
        }
        plots[fate]()
        return self

    def _days_ago(self, low: int, high: int) -> date:
        """A day in a window counted back from today, so history always ends today."""
        return self.ctx.today - timedelta(days=self.rng.randint(low, high))

    def _active(self) -> None:
        """Sold up to two years ago and served to this day."""
        sale = self._days_ago(45, DAYS_OF_HISTORY)
        live = self._launch(sale)
        self._serve(live, self.ctx.today)

    def _onboarding(self) -> None:
        """Sold in the last weeks; set-up is under way but nothing is live yet."""
        sale = self._days_ago(1, 40)
        self._open(sale)
        set_up_by = sale + timedelta(days=self.rng.randint(2, 10))
        if set_up_by < self.ctx.today:
            self._set_up_tools(sale, set_up_by, limit=2)

    def _paused(self) -> None:
        """Served for a while, then paused in the last few months."""
        sale = self._days_ago(160, DAYS_OF_HISTORY)
        live = self._launch(sale)
        paused_on = self._days_ago(3, 100)
        self._serve(live, paused_on)
        self._pause(paused_on)

    def _cancelling(self) -> None:
        """Gave notice in the last month; the notice period is still running."""
        sale = self._days_ago(130, DAYS_OF_HISTORY)
        live = self._launch(sale)
        notice = self._days_ago(1, 29)
        self._serve_then_maybe_pause(live, notice)
        self._give_notice(notice, final=True)

    def _cancelled(self) -> None:
        """Sold, served, gave notice and left; tools it no longer needs are removed."""
        age = self.rng.randint(110, DAYS_OF_HISTORY)
        sale = self.ctx.today - timedelta(days=age)
        live = self._launch(sale)
        cancel_on = self._days_ago(2, age - 100)
        notice = cancel_on - timedelta(days=30)
        self._serve_then_maybe_pause(live, notice)
        self._give_notice(notice, final=True)
        self._cancel(cancel_on)
        self._offboard(min(cancel_on + timedelta(days=self.rng.randint(1, 7)), self.ctx.today))

    def _won_back(self) -> None:
        """Left once, came back months later and is live again."""
        age = self.rng.randint(430, DAYS_OF_HISTORY)
        sale = self.ctx.today - timedelta(days=age)
        live = self._launch(sale)
        notice = sale + timedelta(days=self.rng.randint(150, age - 240))
        self._serve(live, notice)
        self._give_notice(notice, final=True)
        cancel_on = notice + timedelta(days=30)
        self._cancel(cancel_on)
        returned = cancel_on + timedelta(days=self.rng.randint(60, 150))
        self._win_back(returned)
        relaunch = returned + timedelta(days=self.rng.randint(14, 30))
        self._go_live(relaunch)
        self._serve(relaunch, self.ctx.today)

    def _serve_then_maybe_pause(self, live: date, notice: date) -> None:
        """Some clients pause before they give notice; the rest are served to the end."""
        paused_on = notice - timedelta(days=self.rng.randint(20, 60))
        if self.rng.random() < 0.25 and paused_on > live + timedelta(days=30):
            self._serve(live, paused_on)
            self._pause(paused_on)
        else:
            self._serve(live, notice)

    # Opening: sale, team, contacts, contract, tools, go-live ---------------------------

    def _open(self, sale: date) -> None:
        """The sale: the rep enters the client, its team, contacts and signed contract."""
        rng, cast = self.rng, self.ctx.cast
        rep = cast.pick(rng, self.unit, RoleCode.SALES_REP)
        when = self.at(sale)
        self.opened_at = when
        self.client.sold_on = sale
        self.client.created_at = when
        self.record(self.client, when, rep, "created", "+")
        roles = [RoleCode.SALES_REP, RoleCode.CLIENT_SUCCESS_MANAGER, RoleCode.ACCOUNT_MANAGER]
        for role in roles:
            user = rep if role == RoleCode.SALES_REP else cast.pick(rng, self.unit, role)
            self._add_member(role, user, when, rep)
        count = rng.choices((1, 2, 3), weights=(45, 35, 20))[0]
        for position, first in enumerate(rng.sample(CONTACT_FIRST, count)):
            self._add_contact(first, position == 0, when, rep)
        self._sign(sale, self._first_lines())

    def _add_member(self, role: str, user: User, when: datetime, by: User) -> None:
        """Put a person on the client's team (the unit's staff only, as the service requires)."""
        member = ClientTeamMember(client=self.client, role=self.ctx.cast.roles[role], user=user)
        self.members[role] = member
        self.record(member, when, by, kind="+")

    def _add_contact(self, first: str, primary: bool, when: datetime, by: User) -> None:
        """A contact at the client; distinct first names keep e-mails unique per client."""
        rng = self.rng
        last = rng.choice(CONTACT_LAST)
        contact = Contact(
            client=self.client,
            name=f"{first} {last}",
            email=f"{first}.{last}@{self.domain(self.client.name)}".lower(),
            phone=f"({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02d}",
            title=rng.choice(CONTACT_TITLES),
            is_primary=primary,
        )
        self.contacts.append(contact)
        self.record(contact, when, by, kind="+")

    def _launch(self, sale: date) -> date:
        """Sale, set-up, and the go-live a few weeks later; returns the go-live day."""
        self._open(sale)
        live = sale + timedelta(days=self.rng.randint(14, 42))
        if self.rng.random() < 0.4:
            director = self.ctx.cast.pick(self.rng, self.unit, RoleCode.CREATIVE_DIRECTOR)
            when = self.at(sale + timedelta(days=self.rng.randint(1, 5)))
            am = self.staff(RoleCode.ACCOUNT_MANAGER)
            self._add_member(RoleCode.CREATIVE_DIRECTOR, director, when, am)
        self._set_up_tools(sale, live, limit=None)
        self._go_live(live)
        return live

    def _go_live(self, day: date) -> None:
        """The first program runs; the CSM marks the client live."""
        self.client.go_live()
        csm = self.staff(RoleCode.CLIENT_SUCCESS_MANAGER)
        self.record(self.client, self.at(day), csm, "status: go_live")

    def _set_up_tools(self, start: date, end: date, limit: int | None) -> None:
        """The CSM sets the client up in the platform tools and a few working ones."""
        exit_only = [t for t in self.ctx.tools if t.platform_exit_only]
        others = [t for t in self.ctx.tools if not t.platform_exit_only]
        chosen = exit_only + self.rng.sample(others, min(len(others), self.rng.randint(2, 4)))
        if limit is not None:
            chosen = chosen[:limit]
        csm = self.staff(RoleCode.CLIENT_SUCCESS_MANAGER)
        span = max((end - start).days, 1)
        days = sorted(start + timedelta(days=self.rng.randint(1, span)) for _tool in chosen)
        for tool, day in zip(chosen, days, strict=True):
            entry = ClientTool(client=self.client, tool=tool, reference=self._tool_reference(tool))
            self.tools.append(entry)
            self.record(entry, self.at(min(day, end)), csm, kind="+")

    def _tool_reference(self, tool: Tool) -> str:
        """The client's id in the tool, in the shape that tool uses."""
        number = self.rng.randint(100000, 999999)
        references = {
            "crm": f"ACC-{number}",
            "billing": f"CUS-{number}",
            "ad-platform": f"{number // 1000}-{number % 1000:03d}-{self.index % 10000:04d}",
            "analytics": f"PROP-{number}",
            "project-board": f"{self.plan.contract_prefix}-{self.index + 1:05d}",
            "chat-channel": f"#client-{slugify(self.client.name)[:40]}",
        }
        return references.get(tool.code, "")

    # Contracts -----------------------------------------------------------------------

    def _budget(self, service: ServiceLine) -> Decimal:
        """A budget typical of the service, skewed toward the small end like real books."""
        low, high = BUDGET_RANGES.get(service.code, DEFAULT_BUDGET_RANGE)
        return _round_budget(low + (high - low) * self.rng.random() ** 2)

    def _first_lines(self) -> list[tuple[ServiceLine, Decimal]]:
        """Most clients start with one or two services, a few with more."""
        count = self.rng.choices((1, 2, 3, 4), weights=(40, 35, 18, 7))[0]
        services = self.rng.sample(self.ctx.services, min(count, len(self.ctx.services)))
        return [(service, self._budget(service)) for service in services]

    def _sign(self, start: date, lines: list[tuple[ServiceLine, Decimal]]) -> None:
        """A signed contract, active from `start`, with its service lines."""
        rep = self.staff(RoleCode.SALES_REP)
        term = self.rng.choices((6, 12), weights=(40, 60))[0]
        number = len(self.contracts) + 1
        contract = Contract(
            client=self.client,
            reference=f"{self.plan.contract_prefix}-{self.index + 1:05d}-{number}",
            start_date=start,
            term_months=term,
            renewal_date=renewal_date_for(start, term),
            notes=f"Replaces contract {self.contract.reference}." if self.contracts else "",
        )
        contract.activate()
        self.contracts.append(contract)
        when = self.at(start)
        self.record(contract, when, rep, "created", "+")
        self.current_lines = []
        for service, budget in lines:
            line = ContractLine(contract=contract, service=service, monthly_budget=budget)
            self.lines.append(line)
            self.current_lines.append(line)
            self.record(line, when, rep, kind="+")

    def _renew_until(self, day: date) -> None:
        """Renew every term that comes up on or before `day` while the contract runs."""
        while (
            self.contract.status == ContractStatus.ACTIVE
            and self.contract.renewal_date is not None
            and self.contract.renewal_date <= day
        ):
            if self.rng.random() < 0.45:
                self._extend(self.contract.renewal_date)
            else:
                self._replace_contract(self.contract.renewal_date)

    def _extend(self, day: date) -> None:
        """Renewal on the same contract: only its renewal date moves on a term."""
        contract = self.contract
        contract.renewal_date = renewal_date_for(day, contract.term_months)
        self.record(contract, self.at(day), self.staff(RoleCode.ACCOUNT_MANAGER), "renewed")

    def _replace_contract(self, day: date) -> None:
        """Renewal on a new contract: the old one ends, the new one may change services."""
        old = self.contract
        old.end()
        self.record(old, self.at(day), self.staff(RoleCode.ACCOUNT_MANAGER), "status: end")
        lines = [(ln.service, self._renewed_budget(ln.monthly_budget)) for ln in self.current_lines]
        if len(lines) > 1 and self.rng.random() < 0.15:
            lines.pop(self.rng.randrange(len(lines)))
        offered = [s for s in self.ctx.services if s not in {svc for svc, _b in lines}]
        if offered and self.rng.random() < 0.2:
            service = self.rng.choice(offered)
            lines.append((service, self._budget(service)))
        self._sign(day, lines)

    def _renewed_budget(self, budget: Decimal) -> Decimal:
        """Most budgets carry over a renewal unchanged; the rest are renegotiated."""
        if self.rng.random() < 0.6:
            return budget
        return _round_budget(float(budget) * self.rng.uniform(0.75, 1.35))

    # What happens while a client is served --------------------------------------------

    def _serve(self, start: date, end: date) -> None:
        """Run the account from `start` to `end`: renewals as terms come up, and events."""
        for day, action in self._plan_events(start, end):
            self._renew_until(day)
            action(day)
        self._renew_until(end)

    def _plan_events(self, start: date, end: date) -> list[tuple[date, Callable[[date], None]]]:
        """Budget changes, a possible pause, a saved notice and a change of AM."""
        rng, span = self.rng, (end - start).days
        events: list[tuple[date, Callable[[date], None]]] = []
        for month in range(span // 30):
            if rng.random() < 0.07:
                day = start + timedelta(days=month * 30 + rng.randint(1, 29))
                events.append((day, self._change_budget))
        if span > 160 and rng.random() < 0.15:
            paused_on = start + timedelta(days=rng.randint(40, span - 110))
            events.append((paused_on, self._pause))
            events.append((paused_on + timedelta(days=rng.randint(21, 75)), self._resume))
        if span > 200 and rng.random() < 0.07:
            notice = start + timedelta(days=rng.randint(60, span - 40))
            events.append((notice, self._give_notice))
            events.append((notice + timedelta(days=rng.randint(5, 21)), self._withdraw_notice))
        if span > 120 and rng.random() < 0.10:
            events.append((start + timedelta(days=rng.randint(30, span - 1)), self._reassign))
        events.sort(key=lambda event: event[0])
        return events

    def _change_budget(self, day: date) -> None:
        """The AM moves budget up or down on one service, or adds a service."""
        am = self.staff(RoleCode.ACCOUNT_MANAGER)
        offered = [
            s for s in self.ctx.services if s not in {ln.service for ln in self.current_lines}
        ]
        if offered and self.rng.random() < 0.2:
            service = self.rng.choice(offered)
            budget = self._budget(service)
            line = ContractLine(contract=self.contract, service=service, monthly_budget=budget)
            self.lines.append(line)
            self.current_lines.append(line)
            self.record(line, self.at(day), am, "service added", "+")
            return
        line = self.rng.choice(self.current_lines)
        line.monthly_budget = _round_budget(float(line.monthly_budget) * self.rng.uniform(0.6, 1.5))
        self.record(line, self.at(day), am, "budget change")

    def _pause(self, day: date) -> None:
        """Service and billing stop together: the client and its running contract pause."""
        if self.client.status != ClientStatus.ACTIVE:
            return
        am, when = self.staff(RoleCode.ACCOUNT_MANAGER), self.at(day)
        self.paused_on = day
        self.client.pause()
        self.record(self.client, when, am, "status: pause")
        if self.contract.status == ContractStatus.ACTIVE:
            self.contract.pause()
            self.record(self.contract, when, am, "status: pause")

    def _resume(self, day: date) -> None:
        """Service restarts; the paused months are added to the term."""
        if self.client.status != ClientStatus.PAUSED:
            return
        am, when = self.staff(RoleCode.ACCOUNT_MANAGER), self.at(day)
        self.client.resume()
        self.record(self.client, when, am, "status: resume")
        contract = self.contract
        if contract.status == ContractStatus.PAUSED:
            contract.resume()
            if contract.renewal_date is not None and self.paused_on is not None:
                contract.renewal_date += day - self.paused_on
            self.record(contract, when, am, "status: resume")

    def _give_notice(self, day: date, final: bool = False) -> None:
        """The client asks to cancel, saying why; only a final notice may follow a pause."""
        allowed = (ClientStatus.ACTIVE, ClientStatus.PAUSED) if final else (ClientStatus.ACTIVE,)
        if self.client.status not in allowed:
            return
        reason = self.rng.choice(CANCEL_REASONS)
        self.client.notes += f"\nNotice given {day:%Y-%m-%d}: {reason}."
        self.client.give_notice()
        csm = self.staff(RoleCode.CLIENT_SUCCESS_MANAGER)
        self.record(self.client, self.at(day), csm, "status: give_notice")

    def _withdraw_notice(self, day: date) -> None:
        """The retention team saves a client during its notice period."""
        if self.client.status != ClientStatus.CANCELLING:
            return
        self.client.notes += f"\nSaved by the retention team {day:%Y-%m-%d}."
        self.client.withdraw_notice()
        saver = self.ctx.cast.leads[RoleCode.RETENTION_TEAM]
        self.record(self.client, self.at(day), saver, "status: withdraw_notice")

    def _cancel(self, day: date) -> None:
        """The effective date passes: the client and its running contract are cancelled."""
        am, when = self.staff(RoleCode.ACCOUNT_MANAGER), self.at(day)
        self.client.cancel()
        self.record(self.client, when, am, "status: cancel")
        if self.contract.status in (ContractStatus.ACTIVE, ContractStatus.PAUSED):
            self.contract.cancel()
            self.record(self.contract, when, am, "status: cancel")

    def _offboard(self, day: date) -> None:
        """Remove the client from every tool it only needs while served."""
        csm = self.staff(RoleCode.CLIENT_SUCCESS_MANAGER)
        for entry in [t for t in self.tools if not t.tool.platform_exit_only]:
            self.record(entry, self.at(day), csm, "offboarding", "-")
            self.removed_tools.append(entry)

    def _win_back(self, day: date) -> None:
        """A former client buys again: back to onboarding on a new contract."""
        self.client.win_back()
        self.record(self.client, self.at(day), self.staff(RoleCode.SALES_REP), "status: win_back")
        lines = [(line.service, line.monthly_budget) for line in self.current_lines]
        self._sign(day, lines)

    def _reassign(self, day: date) -> None:
        """The team lead hands the account to another AM of the unit."""
        member = self.members[RoleCode.ACCOUNT_MANAGER]
        candidates = self.ctx.cast.others(self.unit, RoleCode.ACCOUNT_MANAGER, member.user)
        if not candidates:
            return
        member.user = self.rng.choice(candidates)
        self.record(member, self.at(day), self.ctx.cast.leads[RoleCode.TEAM_LEAD], "reassigned")


def _round_budget(amount: float) -> Decimal:
    """Budgets are quoted in steps of 50 within the agency's usual range."""
    return Decimal(max(MIN_BUDGET, min(MAX_BUDGET, round(amount / 50) * 50)))


# Writing ----------------------------------------------------------------------------------


def _write(stories: Sequence[ClientStory]) -> None:
    """Insert the final objects parent-first, then every snapshot as a history row."""
    clients = [s.client for s in stories]
    Client.objects.bulk_create(clients)
    ClientTeamMember.objects.bulk_create([m for s in stories for m in s.members.values()])
    Contact.objects.bulk_create([c for s in stories for c in s.contacts])
    ClientTool.objects.bulk_create([t for s in stories for t in s.tools])
    Contract.objects.bulk_create([c for s in stories for c in s.contracts])
    ContractLine.objects.bulk_create([ln for s in stories for ln in s.lines])
    refresh_mrr([s.client.pk for s in stories])
    _delete_without_signals(ClientTool, [t.pk for s in stories for t in s.removed_tools])
    _write_history(stories)
    for story in stories:
        story.client.created_at = story.opened_at
        story.client.updated_at = story.last_when or story.opened_at
    Client.objects.bulk_update(clients, ["created_at", "updated_at"], batch_size=CHUNK_SIZE)


def _delete_without_signals(model: type[models.Model], ids: list[int]) -> None:
    """Remove rows whose removal is already in the history, dated when it happened
    (a normal delete would add a second removal row dated today)."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk
    column = connection.ops.quote_name(pk.column or pk.attname)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK_SIZE):
            batch = ids[start : start + CHUNK_SIZE]
            placeholders = ", ".join(["%s"] * len(batch))
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({placeholders})", batch)


def _write_history(stories: Sequence[ClientStory]) -> None:
    rows: dict[Any, list[Any]] = defaultdict(list)
    for story in stories:
        for snap in story.snapshots:
            history_model, _names = _tracked(type(snap.obj))
            rows[history_model].append(_history_row(history_model, snap))
    for history_model, batch in rows.items():
        history_model.objects.bulk_create(batch, batch_size=2000)


def _history_row(history_model: Any, snap: Snapshot) -> Any:
    """A history row from a snapshot, completed with ids known only after insert."""
    values = dict(snap.values)
    values[snap.obj._meta.pk.attname] = snap.obj.pk
    for name in PARENT_LINKS:
        if name in values:
            values[name] = getattr(snap.obj, name)
    return history_model(
        history_date=snap.when,
        history_type=snap.kind,
        history_user=snap.user,
        history_change_reason=snap.reason or None,
        **values,
    )


# People and units -----------------------------------------------------------------------


def _stamp(obj: Any, when: datetime, reason: str = "demo data") -> None:
    """Date the history rows `obj.save()` (and its m2m changes) will write."""
    obj._history_date = when
    obj._change_reason = reason


def _ensure_units(now: datetime) -> list[tuple[UnitPlan, BusinessUnit]]:
    units = []
    for plan in UNITS:
        unit = BusinessUnit.objects.filter(code=plan.code).first()
        if unit is None:
            unit = BusinessUnit(code=plan.code, name=plan.name)
            _stamp(unit, now - timedelta(days=DAYS_OF_HISTORY + 60))
            unit.save()
        units.append((plan, unit))
    return units


def _ensure_roles() -> dict[str, Role]:
    """The built-in roles (normally written by a migration)."""
    roles = {}
    for code, label in RoleCode.choices:
        roles[code], _created = Role.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "capabilities": list(DEFAULT_ROLE_CAPABILITIES.get(code, [])),
            },
        )
    return roles


@dataclass(frozen=True)
class StaffPlan:
    username: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    unit_codes: tuple[str, ...]


def staff_plans() -> list[StaffPlan]:
    """Every demo account: one per role, `admin`, and extra client-team staff per unit."""
    every_unit = tuple(plan.code for plan in UNITS)
    plans = []
    for position, code in enumerate(RoleCode.values):
        first, last = ROLE_PEOPLE.get(code, STAFF_NAMES[position % len(STAFF_NAMES)])
        plans.append(StaffPlan(code, first, last, (code,), every_unit))
    admin_first, admin_last = ADMIN_PERSON
    admin_roles = (RoleCode.ADMINISTRATOR.value,)
    plans.append(StaffPlan(ADMIN_USERNAME, admin_first, admin_last, admin_roles, every_unit))
    names = iter(STAFF_NAMES * 4)
    for unit in UNITS:
        for abbreviation, role, count in EXTRA_STAFF:
            for number in range(2, count + 2):
                first, last = next(names)
                username = f"{abbreviation}.{unit.tag}{number}"
                plans.append(StaffPlan(username, first, last, (role,), (unit.code,)))
    return plans


def login_usernames() -> list[str]:
    """The accounts the login page offers: one per role and `admin`."""
    return [*RoleCode.values, ADMIN_USERNAME]


def _ensure_staff(roles: dict[str, Role], units: dict[str, BusinessUnit], now: datetime) -> None:
    """Create missing demo accounts (existing ones are left as they are)."""
    plans = staff_plans()
    known = User.objects.filter(username__in=[p.username for p in plans])
    existing = set(known.values_list("username", flat=True))
    missing = [p for p in plans if p.username not in existing]
    if not missing:
        return
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    hired = now - timedelta(days=DAYS_OF_HISTORY + 30)
    for plan in missing:
        user = User(
            username=plan.username,
            first_name=plan.first_name,
            last_name=plan.last_name,
            email=f"{plan.username}@agency.example",
            password=password,
        )
        _stamp(user, hired)
        user.save()
        user.roles.set([roles[code] for code in plan.roles])
        user.business_units.set([units[code] for code in plan.unit_codes])


def _ensure_teams(units: list[tuple[UnitPlan, BusinessUnit]], now: datetime) -> None:
    """A partner team and a service team per unit, staffed by the demo logins."""
    people = {u.username: u for u in User.objects.filter(username__in=RoleCode.values)}
    members = {
        "partner": [RoleCode.PARTNER_TEAM, RoleCode.TEAM_LEAD],
        "service": [RoleCode.SERVICE_TEAM, RoleCode.OPERATIONS_LEAD],
    }
    for plan, unit in units:
        for kind, codes in members.items():
            name = f"{plan.short} {kind} team"
            if Team.objects.filter(name=name).exists():
                continue
            team = Team(name=name, business_unit=unit)
            _stamp(team, now - timedelta(days=DAYS_OF_HISTORY + 20))
            team.save()
            team.members.set([people[code] for code in codes if code in people])


def _cast(roles: dict[str, Role]) -> Cast:
    """Staff pools per unit and role, from the demo accounts only, in a stable order."""
    usernames = [plan.username for plan in staff_plans()]
    users = User.objects.filter(username__in=usernames).prefetch_related("roles", "business_units")
    pools: dict[tuple[int, str], list[User]] = defaultdict(list)
    leads: dict[str, User] = {}
    for user in users.order_by("username"):
        if user.username in RoleCode.values:
            leads[user.username] = user
        for role in user.roles.all():
            for unit in user.business_units.all():
                pools[(unit.pk, role.code)].append(user)
    return Cast(roles=roles, pools=dict(pools), leads=leads)


# Entry point ------------------------------------------------------------------------------


@dataclass
class SeedResult:
    """What a run did and what the demo data set now holds."""

    added: int
    total: int
    by_status: dict[str, int]
    by_unit: dict[str, int]
    seconds: float

    def lines(self) -> Iterator[str]:
        yield f"Demo clients: {self.total:,} ({self.added:,} added) in {self.seconds:.1f} s."
        statuses = ", ".join(
            f"{label} {self.by_status.get(value, 0):,}" for value, label in ClientStatus.choices
        )
        yield f"By status: {statuses}."
        yield "By unit: " + ", ".join(f"{n} {c:,}" for n, c in self.by_unit.items()) + "."
        yield f"Demo logins (password {DEMO_PASSWORD!r}): {', '.join(login_usernames())}."


def demo_clients() -> models.QuerySet[Client]:
    return Client.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX)


def _existing_indexes() -> set[int]:
    indexes = set()
    for external_id in demo_clients().values_list("external_id", flat=True):
        number = external_id.removeprefix(EXTERNAL_ID_PREFIX)
        if number.isdigit():
            indexes.add(int(number) - 1)
    return indexes


def summary(added: int, seconds: float) -> SeedResult:
    """What the demo data set holds now (after any process moved a client on)."""
    return _summary(added, time.monotonic() - seconds)


def _summary(added: int, started: float) -> SeedResult:
    clients = demo_clients()
    by_status = dict(clients.values_list("status").annotate(n=models.Count("id")).order_by())
    units = clients.values_list("business_unit__name").annotate(n=models.Count("id"))
    by_unit = dict(units.order_by("business_unit__name"))
    return SeedResult(
        added=added,
        total=clients.count(),
        by_status=by_status,
        by_unit=by_unit,
        seconds=time.monotonic() - started,
    )


def _prepare(seed: int, now: datetime) -> SeedContext:
    """Units, roles, staff and teams (created once), and what stories draw from."""
    with transaction.atomic():
        units = _ensure_units(now)
        roles = _ensure_roles()
        _ensure_staff(roles, {plan.code: unit for plan, unit in units}, now)
        _ensure_teams(units, now)
    return SeedContext(
        seed=seed,
        units=units,
        cast=_cast(roles),
        services=list(ServiceLine.objects.filter(is_active=True).order_by("code")),
        tools=list(Tool.objects.filter(is_active=True).order_by("code")),
        now=now,
        fates=fate_cycle(seed),
    )


def _mark_loaded() -> None:
    """One marker row listing the demo logins; rewritten only when the list changes."""
    usernames = login_usernames()
    marker = DemoMarker.objects.first()
    if marker is None:
        DemoMarker.objects.create(usernames=usernames)
    elif list(marker.usernames) != usernames:
        marker.usernames = usernames
        marker.save()


def seed(
    *,
    clients: int = DEFAULT_CLIENTS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Load the demo data set up to `clients` clients; re-running adds only what is missing."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    if DemoMarker.objects.exists() and demo_clients().count() >= clients:
        say("Demo data already loaded; nothing to add.")
        return _summary(0, started)
    ctx = _prepare(seed, timezone.now())
    if not ctx.services:
        raise ValueError("The service catalogue is empty; run `retainops migrate` first.")
    existing = _existing_indexes()
    missing = [index for index in range(clients) if index not in existing]
    for start in range(0, len(missing), CHUNK_SIZE):
        batch = missing[start : start + CHUNK_SIZE]
        with transaction.atomic():
            _write([ClientStory(index, ctx).tell() for index in batch])
        say(f"  {start + len(batch):,} / {len(missing):,} clients written")
    _mark_loaded()
    return _summary(len(missing), started)
