"""Channel advice: which customers to reach by which channel, and what a campaign
would bring.

Each customer gets the channel of the first active rule (by position) whose every
condition holds; a customer no rule fits is left out ("none"). Per channel, for a
planned campaign: contacts, expected responders (the channel's response rate
times each customer's P(alive)), expected revenue (responders times each
customer's expected spend per order), cost (contacts times the cost per contact)
and ROI ((revenue - cost) / cost).

The export is a CSV for the agency's mailing tools; a cell that a spreadsheet would
run as a formula (starting with = + - @, a tab or a carriage return) is written
with a leading apostrophe.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retainops.audience import warehouse
from retainops.audience.choices import Channel
from retainops.audience.models import AdviceRule, ChannelCost, DataSet

DEFAULT_COSTS = {
    Channel.EMAIL: (Decimal("0.02"), 0.02),
    Channel.CATALOGUE: (Decimal("1.40"), 0.06),
    Channel.SMS: (Decimal("0.09"), 0.015),
}
EXPORT_COLUMNS = ("customer_id", "name", "email", "phone", "address", "segment", "expected_value")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rule_sql(rule: AdviceRule) -> tuple[str, list[Any]]:
    """The rule's conditions as a WHERE fragment over `scores`."""
    parts: list[str] = ["TRUE"]
    params: list[Any] = []
    if rule.segment:
        parts.append("segment = ?")
        params.append(rule.segment)
    if rule.max_recent_orders is not None:
        parts.append("orders_recent <= ?")
        params.append(rule.max_recent_orders)
    if rule.min_expected_value is not None:
        parts.append("coalesce(expected_value, 0) >= ?")
        params.append(float(rule.min_expected_value))
    if rule.max_expected_value is not None:
        parts.append("coalesce(expected_value, 0) < ?")
        params.append(float(rule.max_expected_value))
    if rule.min_p_alive is not None:
        parts.append("coalesce(p_alive, 1) >= ?")
        params.append(rule.min_p_alive)
    return " AND ".join(parts), params


def channel_case(rules: Iterable[AdviceRule]) -> tuple[str, list[Any]]:
    """A CASE giving each customer the channel of the first rule that fits."""
    whens, params = [], []
    for rule in rules:
        condition, values = rule_sql(rule)
        whens.append(f"WHEN {condition} THEN ?")
        params.extend([*values, rule.channel])
    if not whens:
        return "'none'", []
    return f"CASE {' '.join(whens)} ELSE 'none' END", params


def _rules(data_set: DataSet) -> list[AdviceRule]:
    return list(data_set.rules.filter(is_active=True).order_by("position", "id"))


def costs(data_set: DataSet) -> dict[str, tuple[Decimal, float]]:
    found = {c: v for c, v in DEFAULT_COSTS.items()}
    for row in ChannelCost.objects.filter(data_set=data_set):
        found[Channel(row.channel)] = (row.cost_per_contact, row.response_rate)
    return {str(k): v for k, v in found.items()}


@dataclass(frozen=True)
class ChannelPlan:
    channel: str
    label: str
    contacts: int
    expected_responders: float
    expected_revenue: float
    cost: float
    roi: float | None


def plan(data_set: DataSet) -> list[ChannelPlan]:
    """Per channel (those some rule names, then 'none'): the campaign's figures."""
    case, params = channel_case(_rules(data_set))
    with warehouse.connect(read_only=True) as db:
        rows = db.execute(
            f"""
            SELECT channel, count(*), sum(coalesce(p_alive, 1)),
                   sum(coalesce(p_alive, 1) * coalesce(expected_spend, revenue / orders))
            FROM (SELECT *, {case} AS channel FROM scores WHERE data_set_id = ?)
            GROUP BY channel
            """,
            [*params, data_set.pk],
        ).fetchall()
    prices = costs(data_set)
    plans = []
    for channel, contacts, alive, value in rows:
        if channel == Channel.NONE:
            plans.append(
                ChannelPlan(channel, Channel.NONE.label, int(contacts), 0.0, 0.0, 0.0, None)
            )
            continue
        cost_each, rate = prices.get(channel, (Decimal("0"), 0.0))
        cost = float(cost_each) * int(contacts)
        revenue = rate * float(value or 0)
        plans.append(
            ChannelPlan(
                channel=channel,
                label=Channel(channel).label,
                contacts=int(contacts),
                expected_responders=rate * float(alive or 0),
                expected_revenue=revenue,
                cost=cost,
                roi=(revenue - cost) / cost if cost else None,
            )
        )
    order = {c.value: i for i, c in enumerate(Channel)}
    return sorted(plans, key=lambda p: order.get(p.channel, 99))


def neutralise(value: Any) -> str:
    """A cell as text that a spreadsheet shows and never runs."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def export_rows(data_set: DataSet, channel: str) -> Iterator[list[str]]:
    case, params = channel_case(_rules(data_set))
    with warehouse.connect(read_only=True) as db:
        cursor = db.execute(
            f"""
            SELECT {", ".join(EXPORT_COLUMNS)} FROM (
                SELECT *, {case} AS channel FROM scores WHERE data_set_id = ?
            ) WHERE channel = ? ORDER BY expected_value DESC NULLS LAST, customer_id
            """,
            [*params, data_set.pk, channel],
        )
        while batch := cursor.fetchmany(5000):
            for row in batch:
                yield [neutralise(round(v, 2) if isinstance(v, float) else v) for v in row]


def export_csv(data_set: DataSet, channel: str) -> Iterator[str]:
    """The CSV of one channel's customers, a line at a time (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flushed()
    for row in export_rows(data_set, channel):
        writer.writerow(row)
        yield flushed()
