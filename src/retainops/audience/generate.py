"""Generated end customers and orders, with known duplicates.

Used by the demo (a catalogue client's two years of orders), the identity
resolution's precision and recall test, and the benchmarks. Everything is drawn
from a seeded NumPy generator, so the same call gives the same people.

A person appears in one to three sources; each further appearance may carry a
typo in the name, first and last name swapped, no e-mail, the phone written
nationally instead of with +49, or the street abbreviated: the ways the same
customer differs between a marketplace export and the store's own orders.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from retainops.audience import cleanse
from retainops.audience.ingest import record_key

FIRST = [
    "Anna",
    "Lena",
    "Marie",
    "Sophie",
    "Laura",
    "Julia",
    "Lea",
    "Hannah",
    "Sarah",
    "Lisa",
    "Katharina",
    "Johanna",
    "Clara",
    "Emma",
    "Mia",
    "Paula",
    "Ida",
    "Greta",
    "Frieda",
    "Nora",
    "Lukas",
    "Jonas",
    "Leon",
    "Finn",
    "Paul",
    "Felix",
    "Max",
    "Elias",
    "Noah",
    "Ben",
    "Tim",
    "Jan",
    "Moritz",
    "Niklas",
    "David",
    "Simon",
    "Julian",
    "Tobias",
    "Florian",
    "Stefan",
    "Thomas",
    "Michael",
    "Andreas",
    "Markus",
    "Peter",
    "Klaus",
    "Jürgen",
    "Uwe",
    "Sabine",
    "Petra",
    "Monika",
    "Ute",
    "Birgit",
    "Heike",
    "Karin",
    "Renate",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Keller",
    "Vogel",
    "Friedrich",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
]
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenstraße",
    "Schulstraße",
    "Dorfstraße",
    "Bergstraße",
    "Birkenweg",
    "Lindenstraße",
    "Kirchstraße",
    "Waldstraße",
    "Ringstraße",
    "Wiesenweg",
    "Mühlenweg",
    "Rosenstraße",
]
CITIES = ("Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Leipzig", "Bremen")
DOMAINS = ("gmail.com", "web.de", "gmx.de", "t-online.de", "posteo.de", "outlook.com")
ITEMS = (
    "Garden catalogue order",
    "Linen shirt",
    "Wool blanket",
    "Ceramic bowl set",
    "Rain jacket",
    "Walking shoes",
    "Herb seeds",
    "Bird feeder",
)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    phone: str  # national digits, without 0 or +49
    street: str
    number: int
    postcode: str
    city: str


def people(count: int, rng: np.random.Generator) -> list[Person]:
    firsts = rng.integers(0, len(FIRST), count)
    lasts = rng.integers(0, len(LAST), count)
    tags = rng.integers(1, 9999, count)
    domains = rng.integers(0, len(DOMAINS), count)
    prefixes = rng.integers(50, 79, count)
    lines = rng.integers(1_000_000, 9_999_999, count)
    streets = rng.integers(0, len(STREETS), count)
    numbers = rng.integers(1, 120, count)
    postcodes = rng.integers(10000, 99999, count)
    cities = rng.integers(0, len(CITIES), count)
    found = []
    for i in range(count):
        first, last = FIRST[firsts[i]], LAST[lasts[i]]
        handle = cleanse.fold(f"{first}.{last}").replace(" ", ".")
        found.append(
            Person(
                first=first,
                last=last,
                email=f"{handle}{tags[i]}@{DOMAINS[domains[i]]}",
                phone=f"1{prefixes[i]}{lines[i]}",
                street=STREETS[streets[i]],
                number=int(numbers[i]),
                postcode=f"{postcodes[i]:05d}",
                city=CITIES[cities[i]],
            )
        )
    return found


def _typo(word: str, rng: np.random.Generator) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 3))
    if kind == 0:  # two letters swapped
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # a letter dropped
        return word[:i] + word[i + 1 :]
    return word[:i] + str(rng.choice(list("aeinrst"))) + word[i + 1 :]  # a letter wrong


def appearance(person: Person, noisy: bool, rng: np.random.Generator) -> dict[str, str]:
    """How one source wrote the person: exactly, or with the usual differences."""
    first, last, email = person.first, person.last, person.email
    phone = f"+49 {person.phone}"
    street = person.street
    if noisy:
        if rng.random() < 0.35:
            last = _typo(last, rng)
        if rng.random() < 0.2:
            first = _typo(first, rng)
        if rng.random() < 0.4:
            email = ""
        if rng.random() < 0.5:
            phone = f"0{person.phone[:3]} {person.phone[3:]}"
        if rng.random() < 0.3:
            phone = ""
        if rng.random() < 0.4:
            street = street.replace("straße", "str.")
    name = f"{first} {last}"
    if noisy and rng.random() < 0.2:
        name = f"{last} {first}"  # swapped, without a comma to tell
    return {
        "customer_name": name,
        "email": email,
        "phone": phone,
        "address": f"{street} {person.number}, {person.postcode} {person.city}",
    }


def _generated_e164(phone: str) -> str:
    """What normalise_phone gives for the two ways `appearance` writes a number."""
    digits = "".join(c for c in phone if c.isdigit())
    if not digits:
        return ""
    return "+" + digits if phone.startswith("+") else "+49" + digits[1:]


def normalised(
    row: dict[str, str], source_id: int, order_id: str = "", *, fast_phones: bool = False
) -> dict[str, str]:
    """The cleansed fields of an appearance; `fast_phones` skips the phonenumbers parse
    for numbers this module wrote itself (the demo and the benchmarks, where it is
    most of the time; the tests check both give the same)."""
    full, first, last = cleanse.normalise_name(row["customer_name"])
    email = cleanse.normalise_email(row["email"])
    if fast_phones:
        phone = _generated_e164(row["phone"])
    else:
        phone = cleanse.normalise_phone(row["phone"], "DE")
    address, postcode = cleanse.normalise_address(row["address"])
    return {
        "name_norm": full,
        "first_name": first,
        "last_name": last,
        "email_norm": email,
        "phone_e164": phone,
        "address_norm": address,
        "postcode": postcode,
        "record_key": record_key(source_id, email, phone, full, postcode, order_id),
    }


def records_with_duplicates(
    count: int, *, sources: int = 3, duplicate_share: float = 0.4, seed: int = 1
) -> tuple[pa.Table, dict[str, int]]:
    """Records of `count` people across `sources` sources, a share of them in more
    than one, and the truth: record key -> person."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    truth: dict[str, int] = {}
    for index, person in enumerate(people(count, rng)):
        extra = int(rng.integers(1, sources)) if rng.random() < duplicate_share else 0
        chosen = rng.choice(np.arange(1, sources + 1), size=1 + extra, replace=False)
        for position, source_id in enumerate(chosen):
            written = appearance(person, noisy=position > 0, rng=rng)
            norm = normalised(written, int(source_id), order_id=f"p{index}")
            if norm["record_key"] in truth:
                continue
            truth[str(norm["record_key"])] = index
            rows.append({"source_id": int(source_id), **norm})
    columns = {
        "record_key": [r["record_key"] for r in rows],
        "source_id": pa.array([r["source_id"] for r in rows], pa.int32()),
        **{
            name: [r[name] for r in rows]
            for name in (
                "name_norm",
                "first_name",
                "last_name",
                "email_norm",
                "phone_e164",
                "address_norm",
                "postcode",
            )
        },
    }
    return pa.table(columns), truth


def pair_scores(identities: dict[str, str], truth: dict[str, int]) -> tuple[float, float]:
    """Pairwise precision and recall of a resolution against the truth."""
    from collections import defaultdict
    from itertools import combinations

    def pairs(groups: dict[object, list[str]]) -> set[tuple[str, str]]:
        return {
            (a, b) if a < b else (b, a)
            for members in groups.values()
            for a, b in combinations(members, 2)
        }

    found: dict[object, list[str]] = defaultdict(list)
    actual: dict[object, list[str]] = defaultdict(list)
    for key, customer in identities.items():
        found[customer].append(key)
    for key, person in truth.items():
        actual[person].append(key)
    predicted, true = pairs(found), pairs(actual)
    if not predicted or not true:
        return (1.0 if not predicted else 0.0), (1.0 if not true else 0.0)
    hits = len(predicted & true)
    return hits / len(predicted), hits / len(true)


def orders_table(
    *,
    data_set_id: int,
    source_ids: tuple[int, ...],
    customers: int,
    start: date,
    days: int,
    seed: int = 3,
    import_run_id: int = 0,
) -> pa.Table:
    """Order lines of `customers` people over `days` days from `start`, drawn the BG/NBD
    way (a Gamma-distributed rate of purchase per person, dropping out after a purchase
    with a Beta-distributed probability), across the sources with cross-source
    duplicates. Built with NumPy and written in one piece (no row-by-row Python for
    the orders; only each person's appearances are normalised one by one)."""
    rng = np.random.default_rng(seed)
    crowd = people(customers, rng)
    rate = rng.gamma(0.9, 1 / 30.0, customers)  # purchases per day while alive
    drop = rng.beta(1.0, 5.0, customers)
    first_day = rng.integers(0, days, customers)
    spend = rng.gamma(6.0, 1.0, customers) * 9.0  # mean order value per person
    # Each person's appearances: the main source, and sometimes a second one with noise.
    main = rng.integers(0, len(source_ids), customers)
    second = np.where(rng.random(customers) < 0.25, rng.integers(0, len(source_ids), customers), -1)
    second = np.where(second == main, -1, second)
    flat: list[tuple[int, dict[str, str], dict[str, str]]] = []
    main_index = np.empty(customers, dtype=np.int64)
    second_index = np.full(customers, -1, dtype=np.int64)
    for index, person in enumerate(crowd):
        written = appearance(person, noisy=False, rng=rng)
        source_id = source_ids[main[index]]
        main_index[index] = len(flat)
        flat.append(
            (source_id, written, normalised(written, source_id, f"c{index}", fast_phones=True))
        )
        if second[index] >= 0:
            written = appearance(person, noisy=True, rng=rng)
            source_id = source_ids[second[index]]
            second_index[index] = len(flat)
            flat.append(
                (source_id, written, normalised(written, source_id, f"c{index}", fast_phones=True))
            )
    # Purchases: repeat gaps exponential at the person's rate, until drop-out or the end.
    person_ids: list[np.ndarray] = []
    order_days: list[np.ndarray] = []
    alive = np.ones(customers, dtype=bool)
    day = first_day.astype(float)
    person_ids.append(np.arange(customers))
    order_days.append(day.copy())
    while alive.any():
        alive &= rng.random(customers) >= drop
        day = day + rng.exponential(1.0 / np.maximum(rate, 1e-6))
        alive &= day < days
        person_ids.append(np.flatnonzero(alive))
        order_days.append(day[alive])
    who = np.concatenate(person_ids)
    when = np.concatenate(order_days).astype(int)
    amounts = np.round(rng.gamma(4.0, 1.0, who.size) * spend[who] / 4.0 + 5.0, 2)
    quantities = rng.integers(1, 4, who.size)
    use_second = (second[who] >= 0) & (rng.random(who.size) < 0.4)
    item_index = rng.integers(0, len(ITEMS), who.size)
    n = who.size
    order_no = np.arange(n)
    chosen = pa.array(np.where(use_second, second_index[who], main_index[who]))
    raw_names = ("customer_name", "email", "phone", "address")
    norm_names = (
        "name_norm",
        "first_name",
        "last_name",
        "email_norm",
        "phone_e164",
        "address_norm",
        "postcode",
        "record_key",
    )
    fields = {name: pa.array([a[1][name] for a in flat]).take(chosen) for name in raw_names}
    fields.update({name: pa.array([a[2][name] for a in flat]).take(chosen) for name in norm_names})
    sources_column = pa.array(np.array([a[0] for a in flat], dtype=np.int32)).take(chosen)
    start_ordinal = np.datetime64(start.isoformat(), "D")
    return pa.table(
        {
            "data_set_id": pa.array(np.full(n, data_set_id, dtype=np.int32)),
            "source_id": sources_column,
            "import_run_id": pa.array(np.full(n, import_run_id, dtype=np.int32)),
            "order_id": pa.array([f"G{o:08d}" for o in order_no.tolist()]),
            "line_no": pa.array(np.ones(n, dtype=np.int32)),
            "ordered_on": pa.array(start_ordinal + when.astype("timedelta64[D]")),
            "customer_name": fields["customer_name"],
            "email": fields["email"],
            "phone": fields["phone"],
            "address": fields["address"],
            "item": pa.array([ITEMS[i] for i in item_index.tolist()]),
            "quantity": pa.array(quantities.astype(np.int32)),
            "amount": pa.array(amounts).cast(pa.decimal128(14, 2)),
            "currency": pa.array(["EUR"] * n),
            **{
                name: fields[name]
                for name in (
                    "name_norm",
                    "first_name",
                    "last_name",
                    "email_norm",
                    "phone_e164",
                    "address_norm",
                    "postcode",
                    "record_key",
                )
            },
        }
    )


def day_of(start: date, offset: int) -> date:
    return start + timedelta(days=offset)
