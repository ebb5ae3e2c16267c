"""Browser tests: Playwright driving Debian's chromium against a live server."""

import importlib
import os
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; the test code's own
# database calls are synchronous and safe, so let Django allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# The data migrations' writers, in migration order: roles before the capabilities
# granted to them, message templates before the playbooks that name them.
REFERENCE_DATA_WRITERS = (
    ("retainops.core.migrations.0002_builtin_roles", "create_roles"),
    ("retainops.clients.migrations.0003_default_catalogue", "create_catalogue"),
    ("retainops.messaging.migrations.0002_grant_messages_capability", "grant"),
    ("retainops.messaging.migrations.0003_default_templates", "create_templates"),
    ("retainops.playbooks.migrations.0002_capabilities_and_templates", "write_reference_data"),
    ("retainops.onboarding.migrations.0002_requirements_and_templates", "write_reference_data"),
    ("retainops.changes.migrations.0002_reference_data", "write_reference_data"),
    ("retainops.changes.migrations.0003_escalation_notice", "write_escalation_template"),
    ("retainops.performance.migrations.0002_catalogue", "write"),
)


@pytest.fixture(autouse=True)
def reference_data(transactional_db: None) -> None:
    """Browser tests run in real transactions, and the database is flushed between
    them, which also removes what data migrations wrote: write it again."""
    for module, writer in REFERENCE_DATA_WRITERS:
        getattr(importlib.import_module(module), writer)(django_apps, None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Pages in fresh browser contexts: another person, with cookies of their own."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def tick() -> None:
    """The worker's pass at the clock's time (`retainops tick`): due timers fire and the
    outbox is delivered. It runs in the test's process, which shares the live server's
    database."""
    call_command("tick", stdout=StringIO())


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
