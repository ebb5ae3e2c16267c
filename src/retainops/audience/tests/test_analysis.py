"""Segments, the purchase model per customer, channel advice and its export."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from retainops.audience import advice, analysis, demo, generate, services, warehouse
from retainops.audience.choices import Channel, Segment
from retainops.audience.models import AdviceRule, DataSet, Source


@pytest.fixture
def filled(data_set: DataSet) -> DataSet:
    """Two years of generated orders of 1,500 people across three sources."""
    sources = [Source.objects.create(data_set=data_set, name=f"S{i}") for i in range(3)]
    orders = generate.orders_table(
        data_set_id=data_set.pk,
        source_ids=tuple(s.pk for s in sources),
        customers=1500,
        start=date(2024, 1, 1),
        days=730,
    )
    demo.write_orders(orders)
    services.analyse(data_set, use_splink=False)
    return data_set


def test_every_customer_is_scored_and_segmented(filled: DataSet) -> None:
    summary = analysis.segment_summary(filled.pk)
    assert [s["segment"] for s in summary] == list(Segment.values)
    total = sum(s["customers"] for s in summary)
    with warehouse.connect(read_only=True) as db:
        customers, revenue, scores = db.execute(
            "SELECT count(*), sum(revenue), count(*) FILTER (WHERE r_score BETWEEN 1 AND 5 "
            "AND f_score BETWEEN 1 AND 5 AND m_score BETWEEN 1 AND 5) FROM scores WHERE "
            "data_set_id = ?",
            [filled.pk],
        ).fetchall()[0]
        order_revenue = db.execute(
            "SELECT sum(amount)::DOUBLE FROM orders WHERE data_set_id = ?", [filled.pk]
        ).fetchall()[0][0]
    assert total == customers == scores
    assert revenue == pytest.approx(order_revenue)
    assert all(s["customers"] > 0 for s in summary), summary


def test_segments_follow_their_definitions(filled: DataSet) -> None:
    with warehouse.connect(read_only=True) as db:
        as_of = analysis.last_day(db, filled.pk)
        assert as_of is not None
        rows = db.execute(
            "SELECT segment, first_order, recency_days, orders, r_score, f_score, m_score "
            "FROM scores WHERE data_set_id = ?",
            [filled.pk],
        ).fetchall()
    for segment, first, recency, orders, r, f, m in rows:
        if segment == "new":
            assert first > as_of - timedelta(days=90)
        elif segment == "lapsed":
            assert recency > 365
        elif segment == "champions":
            assert min(r, f, m) >= 4
        elif segment == "at_risk":
            assert orders > 1 and r <= 2
        elif segment == "one_time":
            assert orders == 1


def test_the_model_gives_finite_outputs_and_p_alive_falls_with_recency(filled: DataSet) -> None:
    with warehouse.connect(read_only=True) as db:
        rows = db.execute(
            "SELECT orders, recency_days, p_alive, expected_purchases, expected_value FROM scores "
            "WHERE data_set_id = ? AND orders >= 3",
            [filled.pk],
        ).fetchall()
    assert rows and all(0 <= p <= 1 and e >= 0 and v >= 0 for _, _, p, e, v in rows)
    recent = [p for _, rec, p, _, _ in rows if rec < 30]
    silent = [p for _, rec, p, _, _ in rows if rec > 300]
    assert sum(recent) / len(recent) > sum(silent) / len(silent)


def test_configured_cutoffs_score_by_them(filled: DataSet, account_manager) -> None:
    cutoffs = {
        "recency": [30, 90, 180, 365],
        "frequency": [1, 2, 4, 8],
        "monetary": [50, 100, 250, 500],
    }
    services.update_data_set(by=account_manager, data_set=filled, changes={"rfm_cutoffs": cutoffs})
    services.analyse(filled, use_splink=False)
    with warehouse.connect(read_only=True) as db:
        rows = db.execute(
            "SELECT orders, f_score FROM scores WHERE data_set_id = ?", [filled.pk]
        ).fetchall()
    assert all(f == 1 for o, f in rows if o == 1)
    assert all(f == 5 for o, f in rows if o > 8)


@pytest.mark.parametrize(
    "cutoffs", [{"recency": [3, 2, 1, 0]}, {"colour": [1, 2, 3, 4]}, {"monetary": [1, 2]}]
)
def test_bad_cutoffs_are_refused_naming_the_field(data_set, account_manager, cutoffs) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.update_data_set(
            by=account_manager, data_set=data_set, changes={"rfm_cutoffs": cutoffs}
        )
    assert "rfm_cutoffs" in caught.value.message_dict


def test_advice_gives_each_customer_the_first_rule_that_fits(filled: DataSet) -> None:
    AdviceRule.objects.create(
        data_set=filled,
        position=1,
        name="New once: e-mail",
        segment="new",
        max_recent_orders=1,
        channel=Channel.EMAIL,
    )
    AdviceRule.objects.create(
        data_set=filled,
        position=2,
        name="Valuable: catalogue",
        min_expected_value=Decimal("100"),
        channel=Channel.CATALOGUE,
    )
    plans = {p.channel: p for p in advice.plan(filled)}
    with warehouse.connect(read_only=True) as db:
        new_once = db.execute(
            "SELECT count(*) FROM scores WHERE data_set_id = ? AND segment = 'new' AND "
            "orders_recent <= 1",
            [filled.pk],
        ).fetchall()[0][0]
        valuable = db.execute(
            "SELECT count(*) FROM scores WHERE data_set_id = ? AND NOT (segment = 'new' AND "
            "orders_recent <= 1) AND expected_value >= 100",
            [filled.pk],
        ).fetchall()[0][0]
        everyone = db.execute(
            "SELECT count(*) FROM scores WHERE data_set_id = ?", [filled.pk]
        ).fetchall()[0][0]
    assert plans["email"].contacts == new_once
    assert plans["catalogue"].contacts == valuable
    assert plans["none"].contacts == everyone - new_once - valuable
    catalogue = plans["catalogue"]
    cost_each, rate = advice.DEFAULT_COSTS[Channel.CATALOGUE]
    assert catalogue.cost == pytest.approx(float(cost_each) * valuable)
    assert catalogue.roi == pytest.approx(
        (catalogue.expected_revenue - catalogue.cost) / catalogue.cost
    )
    assert 0 < catalogue.expected_responders <= rate * valuable


def test_the_export_lists_a_channels_customers_with_formulas_neutralised(filled: DataSet) -> None:
    AdviceRule.objects.create(data_set=filled, position=1, name="All", channel=Channel.EMAIL)
    with warehouse.connect() as db:
        db.execute(
            "UPDATE scores SET name = '=HYPERLINK(\"http://x\")' WHERE data_set_id = ? AND "
            "customer_id = (SELECT min(customer_id) FROM scores)",
            [filled.pk],
        )
    text = "".join(advice.export_csv(filled, "email"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(advice.EXPORT_COLUMNS)
    assert len(rows) - 1 == sum(s["customers"] for s in analysis.segment_summary(filled.pk))
    assert any(r[1] == '\'=HYPERLINK("http://x")' for r in rows[1:])
    assert not any(cell.startswith(("=", "+", "@")) for r in rows[1:] for cell in r)


@pytest.mark.parametrize("value", ["=1+1", "+49", "-3", "@SUM", "\tx", "\rx"])
def test_cells_that_would_run_as_formulas_are_neutralised(value) -> None:
    assert advice.neutralise(value) == "'" + value
    assert advice.neutralise("Anna") == "Anna"


def test_the_demo_seeds_three_sources_with_duplicates_across_them(
    db, catalogue_client, administrator
) -> None:
    lines = demo.seed_audience(customers=600, use_splink=False)
    data_set = DataSet.objects.get(name=demo.DATA_SET_NAME)
    assert data_set.sources.count() == 3 and "order lines" in lines[0]
    with warehouse.connect(read_only=True) as db:
        sources_per_customer = db.execute(
            "SELECT max(n) FROM (SELECT count(DISTINCT o.source_id) n FROM orders o JOIN "
            "identities i "
            "USING (data_set_id, record_key) WHERE o.data_set_id = ? GROUP BY i.customer_id)",
            [data_set.pk],
        ).fetchall()[0][0]
    assert sources_per_customer >= 2
    assert demo.seed_audience(customers=600) == ["End-customer data: already there."]
