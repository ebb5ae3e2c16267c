"""The scorecard pages: a new version from the page, a unit's own scorecard, who may
open them, and the list with each card's version history."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser

from retainops.core.testing import BusinessUnitFactory
from retainops.health import services, signals
from retainops.health.models import Measure, Scorecard, ScorecardVersion

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def as_sent(page: Any) -> dict[str, Any]:
    """What the browser sends back when the form is submitted untouched."""
    data: dict[str, Any] = {}
    rows = page.context["rows"]
    for form in (page.context["form"], rows.management_form, *rows.forms):
        for field in form:
            value = field.value()
            if value is not None and value is not False and value != "":
                data[field.html_name] = value
    return data


def default_card() -> Scorecard:
    return Scorecard.objects.get(business_unit=None)


def measures_of(version: ScorecardVersion) -> list[tuple[str, float, float, float]]:
    return sorted((m.signal, m.weight, m.good, m.bad) for m in version.measures.all())


def edit_url(card: Scorecard) -> str:
    return f"/health/scorecards/{card.pk}/edit/"


def test_an_administrator_saves_a_new_version_from_the_page(administrator):
    card = default_card()
    before = card.current
    assert before is not None
    kept_before = measures_of(before)
    browser = signed_in(administrator)

    page = browser.get(edit_url(card))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [f.initial["signal"] for f in rows.initial_forms] == [
        m.signal for m in before.measures.all()
    ]
    assert len(rows.forms) == len(rows.initial_forms) + 3
    data = as_sent(page)
    first, second = (m.signal for m in list(before.measures.all())[:2])
    unused = sorted(set(signals.keys()) - {m.signal for m in before.measures.all()})
    assert unused, "the test needs a signal the default does not measure"
    extra = len(rows.initial_forms)
    data.update(
        {
            "green_from": "80",
            "note": "Weigh the first measure more",
            "measures-0-weight": "9",
            "measures-1-DELETE": "on",
            f"measures-{extra}-signal": unused[0],
            f"measures-{extra}-weight": "1.5",
            f"measures-{extra}-good": "0",
            f"measures-{extra}-bad": "10",
        }
    )

    saved = browser.post(edit_url(card), data, follow=True)

    assert saved.redirect_chain == [("/health/", 302)]
    assert f"Version {before.number + 1} saved; past snapshots keep version {before.number}." in (
        saved.text
    )
    new = card.versions.get(number=before.number + 1)
    assert (new.green_from, new.amber_from, new.note) == (
        80,
        before.amber_from,
        "Weigh the first measure more",
    )
    assert new.created_by == administrator
    expected = [
        (m.signal, 9.0 if m.signal == first else m.weight, m.good, m.bad)
        for m in before.measures.all()
        if m.signal != second
    ]
    assert measures_of(new) == sorted([*expected, (unused[0], 1.5, 0.0, 10.0)])
    before.refresh_from_db()
    assert measures_of(before) == kept_before
    assert card.current == new


def _amber_above_green(data: dict[str, Any], extra: int) -> None:
    data.update({"green_from": "40", "amber_from": "60"})


def _weight_zero(data: dict[str, Any], extra: int) -> None:
    data["measures-1-weight"] = "0"


def _weight_zero_after_a_removed_row(data: dict[str, Any], extra: int) -> None:
    data["measures-0-DELETE"] = "on"
    data["measures-2-weight"] = "0"


def _same_signal_twice(data: dict[str, Any], extra: int) -> None:
    data.update(
        {
            f"measures-{extra}-signal": data["measures-0-signal"],
            f"measures-{extra}-weight": "1",
            f"measures-{extra}-good": "0",
            f"measures-{extra}-bad": "5",
        }
    )


def _good_equals_bad(data: dict[str, Any], extra: int) -> None:
    data.update({"measures-1-good": "3", "measures-1-bad": "3"})


def _unknown_signal(data: dict[str, Any], extra: int) -> None:
    data["measures-0-signal"] = "horoscope"


def _no_reason(data: dict[str, Any], extra: int) -> None:
    data["note"] = ""


def _half_a_new_row(data: dict[str, Any], extra: int) -> None:
    data[f"measures-{extra}-weight"] = "2"


def _every_measure_removed(data: dict[str, Any], extra: int) -> None:
    for index in range(extra):
        data[f"measures-{index}-DELETE"] = "on"


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (_amber_above_green, ("form", "green_from"), "The green bound must be above the amber"),
        (_weight_zero, (1, "weight"), "A weight must be above zero."),
        (_weight_zero_after_a_removed_row, (2, "weight"), "A weight must be above zero."),
        (_same_signal_twice, ("extra", "signal"), "is measured twice."),
        (_good_equals_bad, (1, "good"), "Good and bad must be different values."),
        (_unknown_signal, (0, "signal"), "Select a valid choice."),
        (_no_reason, ("form", "note"), "This field is required."),
        (_half_a_new_row, ("extra", "signal"), "This field is required."),
        (_every_measure_removed, ("rows", None), "A scorecard needs at least one measure."),
    ],
)
def test_a_refused_post_shows_the_error_at_its_field_and_writes_nothing(
    administrator, change, where, message
):
    card = default_card()
    versions, measures = ScorecardVersion.objects.count(), Measure.objects.count()
    browser = signed_in(administrator)
    page = browser.get(edit_url(card))
    data = as_sent(page)
    data["note"] = "An attempt"
    extra = len(page.context["rows"].initial_forms)
    change(data, extra)

    refused = browser.post(edit_url(card), data)

    assert refused.status_code == 400
    form, rows = refused.context["form"], refused.context["rows"]
    place, field = where
    if place == "form":
        errors = form.errors[field]
    elif place == "rows":
        errors = rows.non_form_errors()
    else:
        row = rows.forms[extra if place == "extra" else place]
        errors = row.errors[field]
        assert all(f.errors == {} for f in rows.forms if f is not row)
    assert any(message in e for e in errors), errors
    assert message in refused.text.replace("&#x27;", "'")
    assert (ScorecardVersion.objects.count(), Measure.objects.count()) == (versions, measures)


def test_a_measure_of_a_signal_no_longer_registered_is_named_by_the_service(administrator):
    card = default_card()
    old = ScorecardVersion.objects.create(scorecard=card, number=9, green_from=70, amber_from=40)
    Measure.objects.create(version=old, signal="retired_signal", weight=1, good=0, bad=5)
    browser = signed_in(administrator)
    page = browser.get(edit_url(card))
    assert "retired_signal (no such signal)" in page.text
    data = {**as_sent(page), "note": "Keep it"}

    refused = browser.post(edit_url(card), data)

    assert refused.status_code == 400
    assert refused.context["rows"].forms[0].errors == {
        "signal": ["No health signal is called 'retired_signal'."]
    }
    assert card.versions.count() == 3


def test_an_account_manager_may_open_neither_page_nor_sees_the_links(account_manager):
    card = default_card()
    browser = signed_in(account_manager)

    listed = browser.get("/health/")
    assert listed.status_code == 200
    assert card.name in listed.text
    assert edit_url(card) not in listed.text and "/health/scorecards/new/" not in listed.text
    assert browser.get(edit_url(card)).status_code == 403
    assert browser.post(edit_url(card), {"note": "x"}).status_code == 403
    assert browser.get("/health/scorecards/new/").status_code == 403
    assert browser.post("/health/scorecards/new/", {"name": "x"}).status_code == 403
    assert ScorecardVersion.objects.filter(scorecard=card).count() == 2


def test_an_administrator_sees_the_links(administrator):
    listed = signed_in(administrator).get("/health/")
    assert edit_url(default_card()) in listed.text
    assert "/health/scorecards/new/" in listed.text


def test_an_administrator_creates_a_units_scorecard_from_a_copy_of_the_default(
    administrator, north
):
    south = BusinessUnitFactory.create(code="south", name="South Digital")
    Scorecard.objects.create(business_unit=south, name="South's own")
    default = default_card().current
    assert default is not None
    browser = signed_in(administrator)

    page = browser.get("/health/scorecards/new/")
    assert page.status_code == 200
    offered = list(page.context["form"].fields["business_unit"].queryset)
    assert north in offered and south not in offered
    rows = page.context["rows"]
    assert [(f.initial["signal"], f.initial["weight"]) for f in rows.initial_forms] == [
        (m.signal, m.weight) for m in default.measures.all()
    ]
    data = as_sent(page)
    data.update({"business_unit": north.pk, "name": "North health"})

    created = browser.post("/health/scorecards/new/", data, follow=True)

    assert created.redirect_chain == [("/health/", 302)]
    assert "North health saved for North Media: version 1." in created.text
    card = Scorecard.objects.get(business_unit=north)
    version = card.versions.get()
    assert (card.name, version.number, version.created_by) == ("North health", 1, administrator)
    assert (version.green_from, version.amber_from) == (default.green_from, default.amber_from)
    assert measures_of(version) == measures_of(default)
    again = browser.get("/health/scorecards/new/")
    assert north not in list(again.context["form"].fields["business_unit"].queryset)


def test_creating_a_units_scorecard_with_a_bad_band_writes_nothing(administrator, north):
    browser = signed_in(administrator)
    data = as_sent(browser.get("/health/scorecards/new/"))
    data.update({"business_unit": north.pk, "name": "North health", "amber_from": "101"})

    refused = browser.post("/health/scorecards/new/", data)

    assert refused.status_code == 400
    assert refused.context["form"].errors["amber_from"] == [
        "The amber bound must lie between 0 and 100."
    ]
    assert not Scorecard.objects.filter(business_unit=north).exists()


def _history(page_text: str, card: Scorecard) -> list[list[str]]:
    section = page_text.split(f'id="scorecard-{card.pk}"')[1].split("</section>")[0]
    table = section.split('class="versions"')[1]
    cells = re.findall(r"<tr><td.*?</tr>", table, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row, re.S)]
        for row in cells
    ]


def test_the_list_shows_measures_by_label_and_each_cards_history_newest_first(administrator):
    card = default_card()
    current = card.current
    assert current is not None
    with time_machine.travel(datetime(2026, 3, 3, 12, 0, tzinfo=UTC), tick=False):
        services.save_scorecard_version(
            scorecard=card,
            by=administrator,
            green_from=70,
            amber_from=45,
            measures=[services.MeasureSpec("nps", 2, 50, -50)],
            note="Only NPS for now",
        )

    page = signed_in(administrator).get("/health/")

    history = _history(page.text, card)
    assert [row[0] for row in history] == ["3 current", "2", "1"]
    assert history[0][1:] == ["3 Mar 2026 12:00", str(administrator), "Only NPS for now"]
    assert [row[2:] for row in history[1:]] == [
        ["—", "survey and campaign signals added"],
        ["—", "as shipped"],
    ]
    assert signals.provider("nps").label in page.text
    assert "<td>nps" not in page.text
