"""The domain-event bus: listeners by class, in the transaction or after commit, and a
catalogue that docs/events.md keeps in step with."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from retainops.core import events
from retainops.core.events import CATALOGUE, DomainEvent, Phase, emit, listen

DOCS = Path(__file__).resolve().parents[4] / "docs" / "events.md"


@dataclass(frozen=True, kw_only=True, eq=False)
class Rang(DomainEvent):
    name = "test.rang"
    times: int


@dataclass(frozen=True, kw_only=True, eq=False)
class RangTwice(Rang):
    name = "test.rang_twice"


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, DomainEvent]]:
    """A bus of its own for each test, so the product's listeners stay out of it."""
    monkeypatch.setattr(events, "_LISTENERS", {phase: [] for phase in Phase})
    return []


def test_a_listener_of_a_base_class_hears_its_subclasses_and_only_them(heard):
    listen(Rang, lambda event: heard.append(("rang", event)))
    listen(RangTwice, lambda event: heard.append(("twice", event)))

    emit(Rang(times=1))
    emit(RangTwice(times=2))
    emit(DomainEvent())

    assert [(who, event.times) for who, event in heard] == [("rang", 1), ("rang", 2), ("twice", 2)]


@pytest.mark.django_db(transaction=True)
def test_in_transaction_listeners_run_at_once_and_after_commit_ones_only_on_commit(heard):
    listen(Rang, lambda event: heard.append(("now", event)))
    listen(Rang, lambda event: heard.append(("after", event)), phase=Phase.AFTER_COMMIT)

    with transaction.atomic():
        emit(Rang(times=1))
        assert [who for who, _ in heard] == ["now"]
    assert [who for who, _ in heard] == ["now", "after"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_runs_no_after_commit_listener(heard):
    listen(Rang, lambda event: heard.append(("after", event)), phase=Phase.AFTER_COMMIT)

    with pytest.raises(RuntimeError), transaction.atomic():
        emit(Rang(times=1))
        raise RuntimeError("the change failed")

    assert heard == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_in_transaction_listener_undoes_the_change(heard, account_manager):
    def refuse(event: DomainEvent) -> None:
        raise ValueError("the process could not start")

    listen(Rang, refuse)
    with pytest.raises(ValueError), transaction.atomic():
        account_manager.first_name = "Changed"
        account_manager.save()
        emit(Rang(times=1))

    account_manager.refresh_from_db()
    assert account_manager.first_name != "Changed"


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_commit_listener_is_logged_and_the_others_still_run(heard, caplog):
    def fail(event: DomainEvent) -> None:
        raise ValueError("the score could not be computed")

    listen(Rang, fail, phase=Phase.AFTER_COMMIT)
    listen(Rang, lambda event: heard.append(("after", event)), phase=Phase.AFTER_COMMIT)

    with transaction.atomic():
        emit(Rang(times=1))

    assert [who for who, _ in heard] == ["after"]
    assert "after-commit listener" in caplog.text and "test.rang" in caplog.text


def test_two_event_classes_cannot_share_a_name():
    with pytest.raises(TypeError, match=r"Two events are named 'test\.rang'"):

        @dataclass(frozen=True, kw_only=True, eq=False)
        class Impostor(DomainEvent):
            name = "test.rang"


def test_the_catalogue_in_the_docs_lists_every_event_of_the_product():
    autodiscover_modules("events")
    product = {
        name
        for name, kind in CATALOGUE.items()
        if kind.__module__.startswith("retainops.") and ".tests." not in kind.__module__
    }
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOCS.read_text(), re.MULTILINE))

    assert len(product) > 30
    assert product == documented
