"""Pages of the service team: the roster and its CSV import, the response profiles, the
training packs (publish, acknowledge), with their permissions and empty states; and the
client page's panel of upcoming drops."""

import pytest

from retainops.core.models import User
from retainops.drops.choices import Gate
from retainops.drops.models import Acknowledgement, Agent, ResponseProfile, Shift, TrainingPack
from retainops.drops.tests.conftest import DROP_AT

CSV = (
    "name,email,starts_at,ends_at\n"
    "Ann,ann@service.example,2026-12-01T08:00:00+00:00,2026-12-01T16:00:00+00:00\n"
    "Bob,bob@service.example,2026-12-01T12:00:00+00:00,2026-12-01T20:00:00+00:00\n"
)


@pytest.fixture
def nobody(db) -> User:
    return User.objects.create_user(username="norole", password="x")


def test_roster_empty_then_imported_from_a_csv(client, account_manager, clock):
    client.force_login(account_manager)
    assert "No shift on the roster" in client.get("/drops/roster/").text
    page = client.post("/drops/roster/", {"text": CSV}, follow=True)
    assert "2 shifts imported" in page.text
    page = client.get("/drops/roster/?day=2026-12-01")
    assert "Ann" in page.text and "Bob" in page.text
    assert Shift.objects.count() == 2


def test_roster_import_with_a_bad_row_names_it_and_writes_nothing(client, account_manager):
    client.force_login(account_manager)
    bad = CSV + "Cy,cy@service.example,2026-12-01T20:00:00+00:00,2026-12-01T08:00:00+00:00\n"
    page = client.post("/drops/roster/", {"text": bad})
    assert page.status_code == 200
    assert "row 4.ends_at" in page.text and "must end after it starts" in page.text
    assert not Shift.objects.exists() and not Agent.objects.exists()


def test_roster_refused_without_the_capability(client, nobody):
    client.force_login(nobody)
    assert client.get("/drops/roster/").status_code == 403
    assert client.post("/drops/roster/", {"text": CSV}).status_code == 403
    assert not Shift.objects.exists()


def test_profile_edited_on_the_page(client, account_manager):
    client.force_login(account_manager)
    before = ResponseProfile.objects.get(channel="tv")
    page = client.post(
        "/drops/profiles/",
        {
            "channel": "tv",
            "half_life_hours": "1.5",
            "span_hours": "24",
            "phone": "70",
            "chat": "20",
            "email": "10",
        },
        follow=True,
    )
    assert "Profile saved" in page.text
    tv = ResponseProfile.objects.get(channel="tv")
    assert (tv.half_life_hours, tv.span_hours, tv.revision) == (1.5, 24, before.revision + 1)
    assert tv.phone == pytest.approx(0.7)


def test_profile_split_not_adding_up_is_refused_naming_the_field(client, account_manager):
    client.force_login(account_manager)
    before = ResponseProfile.objects.get(channel="tv")
    page = client.post(
        "/drops/profiles/",
        {
            "channel": "tv",
            "half_life_hours": "1.5",
            "span_hours": "24",
            "phone": "50",
            "chat": "20",
            "email": "10",
        },
    )
    assert "phone: Phone, chat and e-mail shares must add up to 1." in page.text
    assert ResponseProfile.objects.get(channel="tv").revision == before.revision


def test_profiles_read_only_and_unchangeable_without_the_capability(client, nobody):
    client.force_login(nobody)
    page = client.get("/drops/profiles/")
    assert page.status_code == 200 and "Mail drop" in page.text and "Save" not in page.text
    refused = client.post("/drops/profiles/", {"channel": "tv", "half_life_hours": "9"})
    assert refused.status_code == 403


def test_training_pack_published_then_acknowledged(client, account_manager, program, roster):
    roster(2, DROP_AT)
    client.force_login(account_manager)
    assert "none yet" in client.get("/drops/training/").text
    url = f"/drops/training/{program.pk}/"
    assert "No training pack for this program yet" in client.get(url).text
    page = client.post(url, {"action": "publish", "scripts": "Greet", "faqs": "Q/A"}, follow=True)
    assert "Version 1 published" in page.text and "not yet" in page.text
    pack = TrainingPack.objects.get(program=program)
    agent = Agent.objects.order_by("pk")[0]
    page = client.post(
        url, {"action": "acknowledge", "pack": pack.pk, "agent": agent.pk}, follow=True
    )
    assert f"{agent.name} acknowledged v1" in page.text
    assert Acknowledgement.objects.filter(pack=pack, agent=agent).exists()
    assert "1 of 2 agents" in client.get("/drops/training/").text


def test_empty_training_pack_is_refused(client, account_manager, program):
    client.force_login(account_manager)
    page = client.post(f"/drops/training/{program.pk}/", {"action": "publish", "scripts": " "})
    assert "scripts: Write at least" in page.text
    assert not TrainingPack.objects.exists()


def test_another_units_program_pack_is_not_found(client, south_account_manager, program):
    client.force_login(south_account_manager)
    assert client.get(f"/drops/training/{program.pk}/").status_code == 404


def test_client_page_lists_upcoming_drops_and_their_readiness(
    client, account_manager, plan, harbor
):
    plan()
    client.force_login(account_manager)
    page = client.get(f"/clients/{harbor.pk}/")
    assert "Upcoming marketing drops" in page.text
    assert "Winter mailer" in page.text and "5 gates open" in page.text
    assert Gate.ROUTING.label in page.text


def test_client_page_without_drops_says_so(client, account_manager, harbor):
    client.force_login(account_manager)
    assert "No upcoming drop for this client" in client.get(f"/clients/{harbor.pk}/").text
