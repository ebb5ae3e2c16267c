"""Recurring themes: the text model against a corpus with known groups, themes kept across
refits, the operations lead told once when a theme spreads, and the theme pages."""

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone
from sklearn.metrics import adjusted_rand_score

from retainops.clients.testing import ClientFactory
from retainops.complaints import themes
from retainops.complaints.corpus import generate
from retainops.complaints.models import Complaint, Theme
from retainops.messaging.models import Message

# The adjusted Rand index of the themes against the corpus's true groups: 1 is perfect
# agreement, 0 what chance gives. Measured on five groups of 15 (seeds 0 to 9): 0.89 to
# 1.0, mean 0.98; seeds 0, 1 and 2 give 1.0, 0.96 and 0.94.
ARI_THRESHOLD = 0.85


def _ari(per_group: int, seed: int) -> float:
    corpus = generate(per_group, seed)
    grouping = themes.group_texts([f"{c.summary}. {c.description}" for c in corpus])
    # A complaint left alone is a group of its own.
    found = [label if label is not None else -1 - i for i, label in enumerate(grouping.labels)]
    return float(adjusted_rand_score([c.group for c in corpus], found))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_themes_agree_with_the_true_groups_of_a_varied_corpus(seed):
    assert _ari(per_group=15, seed=seed) >= ARI_THRESHOLD


def test_a_theme_is_labelled_by_its_heaviest_terms():
    corpus = generate(6, seed=4)
    grouping = themes.group_texts([f"{c.summary}. {c.description}" for c in corpus])

    assert grouping.terms
    assert all(len(terms) == themes.LABEL_TERMS for terms in grouping.terms.values())


def test_fewer_than_two_texts_make_no_theme():
    assert themes.group_texts(["Report late"]).labels == [None]
    assert themes.group_texts(["the", "and"]).labels == [None, None]


@pytest.fixture
def spreading(raise_one, north, account_manager):
    """The late-report complaint from three North clients, and two unrelated ones."""
    from retainops.clients.models import ClientTeamMember
    from retainops.core.models import Role

    made = []
    for name in ("Bay Bakery", "Cove Clinic", "Dune Dental"):
        client = ClientFactory.create(name=name, business_unit=north)
        ClientTeamMember.objects.create(
            client=client, user=account_manager, role=Role.objects.get(code="account_manager")
        )
        made.append(
            raise_one(
                client=client,
                summary="Monthly report late",
                description=f"The monthly report for {name} arrived late again, no commentary.",
            )
        )
    raise_one(summary="Invoice charged twice", description="The invoice charged us twice.")
    raise_one(summary="Website very slow", description="Our website takes ages to load.")
    return made


@pytest.mark.django_db
@override_settings(COMPLAINT_THEME_CLIENTS=3, COMPLAINT_THEME_WINDOW_DAYS=30)
def test_the_operations_lead_is_told_once_when_a_theme_reaches_enough_clients(spreading, ops_lead):
    now = timezone.now()

    first = themes.refresh_themes(now=now)
    again = themes.refresh_themes(now=now + timedelta(minutes=5))

    theme = Theme.objects.get(complaints=spreading[0])
    assert set(theme.complaints.all()) == set(spreading)
    assert "report" in theme.label
    assert (first.told, again.told) == (1, 0)
    told = Message.objects.filter(cause=f"complaint theme {theme.pk}")
    assert [r.address for m in told for r in m.recipients.all()] == [ops_lead.email]
    assert Complaint.objects.get(summary="Invoice charged twice").theme is None


@pytest.mark.django_db
@override_settings(COMPLAINT_THEME_CLIENTS=4)
def test_a_theme_below_the_threshold_tells_nobody_and_keeps_its_identity(spreading, ops_lead):
    themes.refresh_themes(now=timezone.now())
    theme = Theme.objects.get(complaints=spreading[0])

    themes.refresh_themes(now=timezone.now() + timedelta(minutes=1))

    assert Theme.objects.get(complaints=spreading[0]).pk == theme.pk
    assert not Message.objects.filter(cause__startswith="complaint theme").exists()


@pytest.mark.django_db
def test_the_worker_refits_only_when_complaints_were_raised(spreading):
    now = timezone.now()
    assert themes.needs_refit(now)
    themes.SOURCE.sweep(now=now, worker="w1")
    assert not themes.needs_refit(now)
    assert themes.SOURCE.sweep(now=now, worker="w1").handled == 0


@pytest.mark.django_db
def test_the_theme_pages_list_its_complaints_and_clients(
    spreading, account_manager, south_account_manager
):
    themes.refresh_themes(now=timezone.now())
    theme = Theme.objects.get(complaints=spreading[0])
    web = HttpClient()
    web.force_login(account_manager)

    listing = web.get("/complaints/themes/").content.decode()
    page = web.get(f"/complaints/themes/{theme.pk}/").content.decode()

    assert theme.label in listing
    for name in ("Bay Bakery", "Cove Clinic", "Dune Dental"):
        assert name in page
    web.force_login(south_account_manager)
    assert web.get(f"/complaints/themes/{theme.pk}/").status_code == 404
    assert "No recurring theme yet" in web.get("/complaints/themes/").content.decode()
