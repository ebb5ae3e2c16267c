"""Demo end-customer data: a catalogue client selling through a marketplace, its own
store and a retailer, with two years of generated orders (about 200,000 order lines of
40,000 people, resolved in well under a minute) and the same people turning
up in more than one source, written differences and all. The orders are generated
with NumPy and written to DuckDB in one piece; then the identities are resolved, the
customers scored, and three advice rules set up (the seed's question: "should
everyone new get a catalogue?")."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa

from retainops.audience import generate, services, warehouse
from retainops.audience.choices import Channel, Segment, SourceKind
from retainops.audience.models import AdviceRule, ColumnMapping, DataSet, Source
from retainops.clients.demo import ADMIN_USERNAME, demo_clients
from retainops.clients.models import Client
from retainops.core.models import User

DATA_SET_NAME = "Orders, all channels"
DEMO_CUSTOMERS = 40_000
DAYS = 730
SOURCES = (
    ("Marketplace export", SourceKind.MARKETPLACE),
    ("Own web store", SourceKind.STORE),
    ("Retailer sell-out", SourceKind.RETAILER),
)
MAPPING = {
    "order_id": "Order",
    "ordered_on": "Date",
    "customer_name": "Name",
    "email": "Mail",
    "phone": "Phone",
    "address": "Address",
    "item": "Item",
    "quantity": "Qty",
    "amount": "Total",
    "currency": "Currency",
}
RULES = (
    (
        10,
        "Bought once in the last six months: e-mail, not a catalogue",
        {"segment": Segment.NEW, "max_recent_orders": 1},
        Channel.EMAIL,
    ),
    (
        20,
        "High expected value: the printed catalogue",
        {"min_expected_value": Decimal("150")},
        Channel.CATALOGUE,
    ),
    (30, "Lapsed: a last e-mail", {"segment": Segment.LAPSED}, Channel.EMAIL),
    (40, "Everyone else still likely alive: e-mail", {"min_p_alive": 0.3}, Channel.EMAIL),
)


def seed_audience(customers: int = DEMO_CUSTOMERS, *, use_splink: bool = True) -> list[str]:
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    if DataSet.objects.filter(name=DATA_SET_NAME).exists():
        return ["End-customer data: already there."]
    started = time.monotonic()
    host = demo_clients().first() or Client.objects.first()
    if host is None:
        return ["End-customer data: no client to attach it to."]
    # The first demo client (with its team) is the catalogue seller of the story.
    client = host
    data_set = DataSet.objects.create(client=client, name=DATA_SET_NAME, created_by=admin)
    sources = [Source.objects.create(data_set=data_set, name=n, kind=k) for n, k in SOURCES]
    for source in sources:
        for field_name, column in MAPPING.items():
            ColumnMapping.objects.create(source=source, field=field_name, column=column)
    start = date.today() - timedelta(days=DAYS)
    orders = generate.orders_table(
        data_set_id=data_set.pk,
        source_ids=tuple(s.pk for s in sources),
        customers=customers,
        start=start,
        days=DAYS,
    )
    write_orders(orders)
    for position, name, conditions, channel in RULES:
        AdviceRule.objects.create(
            data_set=data_set, position=position, name=name, channel=channel, **conditions
        )
    done = services.analyse(data_set, use_splink=use_splink)
    seconds = time.monotonic() - started
    return [
        f"End-customer data: {orders.num_rows} order lines of {client.name} from three sources, "
        f"{done.resolution.records} records resolved to {done.resolution.customers} customers "
        f"({done.resolution.probabilistic_links} probable matches), in {seconds:.1f} s."
    ]


def write_orders(orders: pa.Table) -> None:
    with warehouse.connect() as db:
        db.register("generated", orders)
        db.execute("BEGIN TRANSACTION")
        db.execute("INSERT INTO orders SELECT * FROM generated")
        db.execute("COMMIT")
