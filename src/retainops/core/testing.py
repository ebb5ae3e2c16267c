"""Factories and helpers for tests: people and units, API calls, racing threads.

Factories for clients, contacts and contracts are the clients app's (``clients.testing``).
"""

import json
import threading
from collections.abc import Callable
from typing import Any

import factory
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as HttpClient

from retainops.core.models import ApiToken, BusinessUnit, Role, User


class BusinessUnitFactory(factory.django.DjangoModelFactory[BusinessUnit]):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"unit-{n}")
    name = factory.Sequence(lambda n: f"Unit {n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@agency.example")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-1")

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.roles.set(Role.objects.filter(code__in=extracted))

    @factory.post_generation
    def units(obj: User, create: bool, extracted: list[BusinessUnit] | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.business_units.set(extracted)
        if create:
            obj.save()


class ApiCaller:
    """Calls the API as one person, with a real bearer token."""

    def __init__(self, user: User | None) -> None:
        self.http = HttpClient()
        self.headers: dict[str, str] = {}
        if user is not None:
            _token, raw = ApiToken.issue(user)
            self.headers = {"Authorization": f"Bearer {raw}"}

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        url = f"/api/v1{path}"
        send = getattr(self.http, method)
        if body is None:
            return send(url, params or None, headers=self.headers)
        return send(url, json.dumps(body), content_type="application/json", headers=self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any) -> Any:
        return self._call("post", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._call("put", path, body)

    def delete(self, path: str) -> Any:
        return self.http.delete(f"/api/v1{path}", headers=self.headers)


def run_at_once(actions: list[Callable[[], Any]]) -> list[str]:
    """Run the actions on their own threads (own connections), released together."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = [""] * len(actions)

    def run(index: int) -> None:
        barrier.wait()
        try:
            actions[index]()
            outcomes[index] = "done"
        except ValidationError as error:
            outcomes[index] = f"refused: {error.messages[0]}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def run_import_jobs() -> int:
    """What the worker does with queued imports, now: how many it settled."""
    from django.utils import timezone

    from retainops.core import imports

    return imports.drain(now=timezone.now(), worker="test-worker").handled


def queries_of_page(browser: HttpClient, url: str) -> int:
    """The SQL queries one successful GET of `url` costs (the query-count tests compare
    this at two sizes of what the page lists)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)
