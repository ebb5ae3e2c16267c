"""The lifetime value: segments fitted from the book's renewals, the client page panel,
the value at stake on a change request, and the sBG endpoint's answers and refusals."""

from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.test import Client as Browser

from retainops.clients.models import Client
from retainops.core.models import User
from retainops.portfolio import lifetime
from retainops.portfolio.lives import lives
from retainops.stats import sbg

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db


def test_renewals_and_departures_are_read_from_the_record(book: list[Client]) -> None:
    found = {life.client_id: life for life in lives(Client.objects.all(), today=TODAY)}
    first = found[book[0].pk]  # sold 2023-01-01, left 2023-12-10: no renewal made
    assert first.left_on is not None and first.left_on.isoformat() == "2023-12-10"
    assert first.renewals(TODAY) == 0
    fifth = found[book[5].pk]  # sold 2023-06-01, left 2025-05-10: one renewal made
    assert fifth.left_on is not None and fifth.renewals(TODAY) == 1
    stayer = found[book[1].pk]  # sold 2023-02-01, still served on 2026-06-15: 3 renewals
    assert stayer.left_on is None and stayer.renewals(TODAY) == 3
    assert stayer.mrr == Decimal("1000.00")


def test_segment_fit_equals_the_model_on_the_same_counts(book: list[Client]) -> None:
    segments = lifetime.fit_segments(lives(Client.objects.all(), today=TODAY), TODAY)
    unit = next(s for k, s in segments.items() if not k.startswith("all:"))
    assert unit.clients == 40 and unit.term_months == 12 and unit.fit is not None
    lost, active = [0, 0, 0, 0], [0, 0, 0, 0, 0]
    for life in lives(Client.objects.all(), today=TODAY):
        (lost if life.left_on else active)[life.renewals(TODAY)] += 1
    assert unit.fit.a == pytest.approx(sbg.fit(lost, active).a, rel=1e-9)


def test_client_value_is_mrr_times_term_times_derl(book: list[Client]) -> None:
    with time_machine.travel(at(TODAY), tick=False):
        value = lifetime.client_value(book[1])
    assert value is not None and value.segment.fit is not None
    rate = (1.10) ** 1 - 1
    expected = Decimal("1000.00") * 12 * Decimal(str(round(value.segment.fit.derl(3, rate), 6)))
    assert value.residual_revenue == expected.quantize(Decimal("0.01"))
    assert value.discount_rate == pytest.approx(0.10)


def test_client_page_shows_the_value(
    book: list[Client], account_manager: User, client: Browser
) -> None:
    client.force_login(account_manager)
    with time_machine.travel(at(TODAY), tick=False):
        page = client.get(f"/clients/{book[1].pk}/").content.decode()
        value = lifetime.client_value(book[1])
    assert value is not None
    assert 'id="lifetime-value"' in page
    assert f"{value.residual_revenue:,.2f}" in page


def test_a_client_with_no_history_to_fit_says_so(
    serve: Callable[..., Client], account_manager: User, client: Browser
) -> None:
    lone = serve("Lone", TODAY)
    client.force_login(account_manager)
    with time_machine.travel(at(TODAY), tick=False):
        page = client.get(f"/clients/{lone.pk}/").content.decode()
    assert "Not enough renewal history" in page


def test_change_request_shows_value_at_stake_and_a_credit_ceiling(
    book: list[Client],
    request_for: Callable[..., object],
    account_manager: User,
    client: Browser,
    settings: object,
) -> None:
    settings.PORTFOLIO_SAVE_CREDIT_SHARE = 0.1  # type: ignore[attr-defined]
    change = request_for(book[1], "cancellation", None, credit="5000")
    client.force_login(account_manager)
    with time_machine.travel(at(TODAY), tick=False):
        page = client.get(f"/changes/{change.pk}/").content.decode()  # type: ignore[attr-defined]
        value = lifetime.client_value(book[1])
    assert value is not None
    ceiling = (value.residual_revenue * Decimal("0.1")).quantize(Decimal("0.01"))
    assert f"{value.residual_revenue:,.2f}" in page
    assert f"{ceiling:,.2f}" in page
    assert ("credit-warning" in page) == (Decimal("5000") > ceiling)


# The analysts' endpoint ------------------------------------------------------------------

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def test_sbg_endpoint_answers_the_papers_fit(
    api_as: Callable[..., object], account_manager: User
) -> None:
    api = api_as(account_manager)
    answer = api.post(  # type: ignore[attr-defined]
        "/analytics/sbg", {"alive": REGULAR, "project_to": 12, "discount_rate": 0.10}
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["a"] == pytest.approx(0.704, abs=1e-3)
    assert body["b"] == pytest.approx(1.182, abs=1e-3)
    assert len(body["survival"]) == 13 and body["survival"][0] == 1.0
    assert len(body["retention"]) == 12 and len(body["derl"]) == 13
    assert body["derl"][0] == pytest.approx(sbg.derl(body["a"], body["b"], 0, 0.10))


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"alive": [1000, 631, 700]}, "alive", "must not rise"),
        ({"alive": [0, 0]}, "alive", "empty"),
        ({"alive": []}, "alive", "at least one later count"),
        ({"alive": REGULAR, "discount_rate": 1.0}, "discount_rate", "strictly between 0 and 1"),
        ({"alive": REGULAR, "discount_rate": 0}, "discount_rate", "strictly between 0 and 1"),
        ({"alive": [100000, 100000, 100000, 99999]}, "alive", "did not converge"),
        ({"alive": REGULAR, "project_to": -1}, "project_to", ""),
        ({"alive": "many"}, "alive", ""),
    ],
)
def test_sbg_endpoint_refuses_bad_input_naming_it(
    api_as: Callable[..., object], account_manager: User, payload: dict, field: str, words: str
) -> None:
    answer = api_as(account_manager).post("/analytics/sbg", payload)  # type: ignore[attr-defined]
    assert answer.status_code == 422, answer.content
    errors = answer.json()["errors"]
    assert field in errors
    assert words in " ".join(errors[field])
