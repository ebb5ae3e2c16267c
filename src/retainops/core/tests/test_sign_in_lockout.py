"""Password guessing is cut short: after too many wrong passwords for one username from one
address, the login page and the token endpoint refuse that pair, even with the right
password, until the cool-off has passed (django-axes; 5 tries and 15 minutes by default)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse

from retainops.core.models import ApiToken, User
from retainops.core.testing import ApiCaller

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RIGHT = "pass-word-1"
LOCKED = "Too many failed sign-ins for this username from your address: try again in 15 minutes."


@pytest.fixture(autouse=True)
def default_lockout(settings: Any) -> None:
    """The shipped defaults, whatever the environment running the tests says."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.AXES_COOLOFF_MESSAGE = LOCKED


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@dataclass
class PageTry:
    response: Any
    signed_in: bool


def sign_in(password: str, username: str = "amy_am", address: str = "127.0.0.1") -> PageTry:
    """Post the login form from a fresh browser at `address`; did its session get in?"""
    browser = HttpClient(REMOTE_ADDR=address)
    response = browser.post(reverse("login"), {"username": username, "password": password})
    return PageTry(response, "_auth_user_id" in browser.session)


def ask_token(password: str, username: str = "amy_am") -> Any:
    return ApiCaller(None).post("/auth/token", {"username": username, "password": password})


def test_after_five_wrong_passwords_the_login_page_refuses_even_the_right_one(
    account_manager, clock
):
    for _ in range(4):
        wrong = sign_in("guess")
        assert wrong.response.status_code == 200  # the form again, "wrong password"
        assert not wrong.signed_in

    fifth = sign_in("guess")
    assert fifth.response.status_code == 429

    right = sign_in(RIGHT)
    assert right.response.status_code == 429
    assert not right.signed_in
    page = right.response.content.decode()
    assert LOCKED in page
    assert 'name="username"' in page, "the login form is shown again, with the reason"
    assert "Please enter a correct username" not in page
    assert right.response["Retry-After"] == "900"


def test_after_five_wrong_passwords_the_token_endpoint_refuses_even_the_right_one(
    account_manager, clock
):
    for _ in range(4):
        wrong = ask_token("guess")
        assert wrong.status_code == 422
        assert "password" in wrong.json()["errors"]
    assert ask_token("guess").status_code == 429

    right = ask_token(RIGHT)

    assert right.status_code == 429
    assert right["Content-Type"] == "application/json"
    assert right.json() == {"detail": LOCKED, "retry_after_seconds": 900}
    assert right["Retry-After"] == "900"
    assert not ApiToken.objects.filter(user=account_manager).exists()


def test_wrong_passwords_on_the_page_and_for_tokens_count_together(account_manager, clock):
    for _ in range(3):
        sign_in("guess")
    for _ in range(2):
        ask_token("guess")

    assert ask_token(RIGHT).status_code == 429
    assert sign_in(RIGHT).response.status_code == 429


def test_the_right_password_gets_in_again_once_the_cool_off_has_passed(account_manager, clock):
    for _ in range(5):
        sign_in("guess")
    clock.shift(timedelta(minutes=14))
    assert sign_in(RIGHT).response.status_code == 429  # and the wait starts again

    clock.shift(timedelta(minutes=14, seconds=59))
    assert ask_token(RIGHT).status_code == 429

    clock.shift(timedelta(minutes=15, seconds=1))
    page = sign_in(RIGHT)
    assert page.response.status_code == 302
    assert page.signed_in
    token = ask_token(RIGHT)
    assert token.status_code == 200
    assert token.json()["token"]


def test_the_lockout_holds_one_username_from_one_address_only(
    account_manager, south_account_manager, clock
):
    for _ in range(5):
        sign_in("guess")

    assert sign_in(RIGHT).response.status_code == 429
    assert sign_in(RIGHT, address="10.20.30.40").signed_in, "Amy from elsewhere"
    assert sign_in(RIGHT, username="sam_south").signed_in, "someone else from here"


def test_a_successful_sign_in_clears_the_count(account_manager, clock):
    for _ in range(4):
        sign_in("guess")
    assert sign_in(RIGHT).signed_in
    for _ in range(4):
        ask_token("guess")
    assert ask_token(RIGHT).status_code == 200
    for _ in range(4):
        sign_in("guess")

    assert sign_in(RIGHT).signed_in


def test_a_token_sign_in_is_recorded_as_a_login(account_manager, clock):
    assert ask_token(RIGHT).status_code == 200

    assert User.objects.get(pk=account_manager.pk).last_login == START
