"""Recurring themes: complaints across clients that say the same thing.

"If one customer is complaining, others are thinking the same": the worker groups the
year's complaints by what they say, and when a group reaches a configured number of
clients within a window (COMPLAINT_THEME_CLIENTS within COMPLAINT_THEME_WINDOW_DAYS),
the operations lead is told, once per theme.

Steps of the text model (`group_texts`), all local (scikit-learn, no network):
  1. TF-IDF over each complaint's summary and description: words and pairs of words,
     English stop words dropped, term counts damped (sublinear), and on a corpus of some
     size only terms found in at least two complaints (a word one complaint uses says
     nothing of what complaints share).
  2. Agglomerative clustering with average linkage on the cosine distance, cut at
     DISTANCE_THRESHOLD: complaints join while, on average, they still share weight.
     The number of themes is not fixed in advance; it follows the text.
  3. A group of one is no theme. Each theme is labelled by its three heaviest terms.

Other apps add texts that say what clients think (survey answers, what the service team
hears) through `register_text_source`: their texts are grouped with the complaints, and
each source is told which theme each of its texts joined (it keeps that on its own rows).

Steps of a refit (`refresh_themes`):
  1. Group the complaints raised in the last FIT_DAYS, with the registered sources'
     texts of the same span.
  2. Each group keeps the theme most of its complaints already had, so a theme's page
     and its "told" mark survive refits; a group with none becomes a new theme.
  3. Count each theme's clients among its complaints within the window; a theme that
     reached the threshold and was never told is marked told by compare-and-set (one
     worker wins) and its message is queued in the same transaction.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from retainops.complaints import events
from retainops.complaints.models import Complaint, Theme, ThemeFit
from retainops.core.choices import RoleCode
from retainops.core.due_work import DueWorkSource
from retainops.core.events import emit
from retainops.core.models import User
from retainops.core.site import absolute
from retainops.messaging.services import queue_from_template

DISTANCE_THRESHOLD = 0.92
# Below this many complaints, every term counts (a small corpus shares few).
MIN_DF_FROM = 20
FIT_DAYS = 365
LABEL_TERMS = 3
SPREADING_TEMPLATE = "complaint-theme-spreading"
# After the clock notices, before the outbox.
THEME_ORDER = 17


@dataclass(frozen=True)
class ThemeText:
    """A text from another source: its key within the source, its client, its moment and
    the theme it joined at the last fit."""

    source: str
    key: str
    text: str
    client_id: int
    at: datetime
    theme_id: int | None = None


@dataclass(frozen=True)
class ThemeTextSource:
    """Texts another app adds to the themes. `texts(since, now)` gives them; `assign`
    is told `{key: theme id or None}` after a fit; `changed_since(moment)` says whether
    a refit is needed for them."""

    name: str
    texts: Callable[[datetime, datetime], list[ThemeText]]
    assign: Callable[[dict[str, int | None]], None]
    changed_since: Callable[[datetime | None], bool]


_text_sources: dict[str, ThemeTextSource] = {}


def register_text_source(source: ThemeTextSource) -> None:
    """Group this source's texts with the complaints; the same name again replaces it."""
    _text_sources[source.name] = source


def text_sources() -> list[ThemeTextSource]:
    return sorted(_text_sources.values(), key=lambda s: s.name)


@dataclass(frozen=True)
class Grouping:
    """Which group each text is in (None: alone), and each group's heaviest terms."""

    labels: list[int | None]
    terms: dict[int, list[str]]


def group_texts(texts: Sequence[str]) -> Grouping:
    """Group texts that say the same thing (see the module's note for the steps)."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return Grouping(labels=[None] * len(texts), terms={})
    vectorizer = TfidfVectorizer(
        stop_words="english",
        sublinear_tf=True,
        ngram_range=(1, 2),
        min_df=2 if len(texts) >= MIN_DF_FROM else 1,
    )
    try:
        matrix = vectorizer.fit_transform(texts).toarray()
    except ValueError:  # nothing but stop words
        return Grouping(labels=[None] * len(texts), terms={})
    clusters = AgglomerativeClustering(
        n_clusters=None,
        distance_threshold=DISTANCE_THRESHOLD,
        metric="cosine",
        linkage="average",
    ).fit_predict(_without_empty_rows(matrix))
    sizes = Counter(clusters)
    vocabulary = vectorizer.get_feature_names_out()
    labels: list[int | None] = []
    terms: dict[int, list[str]] = {}
    for row, cluster in enumerate(clusters):
        if sizes[cluster] < 2 or not matrix[row].any():
            labels.append(None)
            continue
        group = int(cluster)
        labels.append(group)
        if group not in terms:
            weights = matrix[clusters == cluster].mean(axis=0)
            terms[group] = [str(vocabulary[i]) for i in weights.argsort()[::-1][:LABEL_TERMS]]
    return Grouping(labels=labels, terms=terms)


def _without_empty_rows(matrix: Any) -> Any:
    # A text with no kept term has no direction; give it a tiny one of its own so the
    # cosine distance is defined (it stays alone, and is dropped as a group of one).
    empty = ~matrix.any(axis=1)
    if empty.any():
        matrix = matrix.copy()
        matrix[empty, -1] = 1e-9
    return matrix


def _text(complaint: Complaint) -> str:
    return f"{complaint.summary}. {complaint.description}"


@dataclass
class ThemeReport:
    fitted: int = 0
    told: int = 0

    @property
    def handled(self) -> int:
        return self.fitted + self.told


def refresh_themes(*, now: datetime) -> ThemeReport:
    """Refit the themes over the recent complaints and tell of those now spreading."""
    report = ThemeReport()
    with transaction.atomic():
        fit, _created = ThemeFit.objects.get_or_create(pk=1, defaults={"fitted_at": now})
        ThemeFit.objects.select_for_update().filter(pk=fit.pk).first()
        recent = list(
            Complaint.objects.filter(raised_at__gte=now - timedelta(days=FIT_DAYS))
            .select_related("client")
            .order_by("raised_at", "id")
        )
        since = now - timedelta(days=FIT_DAYS)
        extra = [t for source in text_sources() for t in source.texts(since, now)]
        grouping = group_texts([_text(c) for c in recent] + [t.text for t in extra])
        themes = _assign(recent, grouping, now, extra)
        ThemeFit.objects.filter(pk=fit.pk).update(
            fitted_at=now, complaints=len(recent), themes=len(themes)
        )
        report.fitted = len(recent)
        report.told = sum(_tell_if_spreading(theme, now) for theme in themes)
    return report


def _assign(
    recent: list[Complaint], grouping: Grouping, now: datetime, extra: Sequence[ThemeText] = ()
) -> list[Theme]:
    members: dict[int, list[Complaint]] = {}
    others: dict[int, list[ThemeText]] = {}
    joined: dict[str, dict[str, int | None]] = {s.name: {} for s in text_sources()}
    labels = grouping.labels
    for complaint, label in zip(recent, labels[: len(recent)], strict=True):
        if label is None:
            _set_theme(complaint, None)
        else:
            members.setdefault(label, []).append(complaint)
    for text, label in zip(extra, labels[len(recent) :], strict=True):
        if label is None:
            joined.setdefault(text.source, {})[text.key] = None
        else:
            others.setdefault(label, []).append(text)
    themes = []
    for label in sorted(set(members) | set(others)):
        complaints = members.get(label, [])
        texts = others.get(label, [])
        theme = _theme_for(complaints, grouping.terms[label], now, texts)
        for complaint in complaints:
            _set_theme(complaint, theme)
        for text in texts:
            joined.setdefault(text.source, {})[text.key] = theme.pk
        themes.append(theme)
    for source in text_sources():
        source.assign(joined.get(source.name, {}))
    return themes


def _theme_for(
    complaints: list[Complaint], terms: list[str], now: datetime, texts: Sequence[ThemeText] = ()
) -> Theme:
    """The theme most of these complaints (and texts) already had, or a new one."""
    held = Counter(c.theme_id for c in complaints if c.theme_id is not None)
    held.update(t.theme_id for t in texts if t.theme_id is not None)
    label = ", ".join(terms)
    if held:
        theme = Theme.objects.get(pk=held.most_common(1)[0][0])
        Theme.objects.filter(pk=theme.pk).update(label=label, terms=terms, updated_at=now)
        theme.label, theme.terms = label, terms
        return theme
    return Theme.objects.create(label=label, terms=terms, created_at=now, updated_at=now)


def _set_theme(complaint: Complaint, theme: Theme | None) -> None:
    theme_id = theme.pk if theme else None
    if complaint.theme_id != theme_id:
        Complaint.objects.filter(pk=complaint.pk).update(theme=theme_id)
        complaint.theme_id = theme_id


def clients_within_window(theme: Theme, now: datetime) -> int:
    since = now - timedelta(days=settings.COMPLAINT_THEME_WINDOW_DAYS)
    recent = theme.complaints.filter(raised_at__gte=since, raised_at__lte=now)
    return recent.values("client_id").distinct().count()


def _tell_if_spreading(theme: Theme, now: datetime) -> bool:
    clients = clients_within_window(theme, now)
    if clients < settings.COMPLAINT_THEME_CLIENTS:
        return False
    # Compare-and-set: of two workers refitting at once, one marks it and tells.
    if not Theme.objects.filter(pk=theme.pk, alerted_at__isnull=True).update(alerted_at=now):
        return False
    leads = _operations_leads(theme)
    if leads:
        queue_from_template(
            template_code=SPREADING_TEMPLATE,
            to=[f"user:{lead.username}" for lead in leads],
            client=None,
            cause=f"complaint theme {theme.pk}",
            extra={"theme": _theme_variables(theme, clients)},
        )
    emit(events.ThemeSpreading(theme=theme, clients=clients))
    return True


def _operations_leads(theme: Theme) -> list[User]:
    units = theme.complaints.values("client__business_unit_id")
    return list(
        User.objects.filter(is_active=True, roles__code=RoleCode.OPERATIONS_LEAD)
        .filter(Q(business_units__in=units))
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def _theme_variables(theme: Theme, clients: int) -> dict[str, Any]:
    return {
        "label": theme.label,
        "clients": clients,
        "window_days": settings.COMPLAINT_THEME_WINDOW_DAYS,
        "url": absolute(reverse("complaints:theme", args=[theme.pk])),
    }


@dataclass(frozen=True)
class ThemeSummary:
    theme: Theme
    complaints: int
    clients: int


def theme_summaries(themes: QuerySet[Theme], user: Any) -> list[ThemeSummary]:
    """Each theme with the complaints and clients the person sees in it, largest first."""
    from retainops.complaints.queries import visible_complaints

    seen = visible_complaints(user)
    counted = themes.annotate(
        seen_complaints=Count("complaints", filter=Q(complaints__in=seen), distinct=True),
        seen_clients=Count("complaints__client", filter=Q(complaints__in=seen), distinct=True),
    ).order_by("-seen_clients", "-seen_complaints", "id")
    return [ThemeSummary(t, t.seen_complaints, t.seen_clients) for t in counted]


def needs_refit(now: datetime) -> bool:
    """Whether complaints were raised since the last fit (or none was ever made)."""
    fit = ThemeFit.objects.filter(pk=1).first()
    raised = Complaint.objects.filter(raised_at__lte=now)
    if fit is None:
        return raised.exists() or any(s.changed_since(None) for s in text_sources())
    if any(s.changed_since(fit.fitted_at) for s in text_sources()):
        return True
    return raised.filter(raised_at__gt=fit.fitted_at).exists()


def _sweep(*, now: datetime, worker: str) -> ThemeReport:
    return refresh_themes(now=now) if needs_refit(now) else ThemeReport()


def describe(report: ThemeReport) -> str | None:
    if not report.handled:
        return None
    return f"themes: refitted over {report.fitted} complaints, {report.told} spreading told"


SOURCE = DueWorkSource(
    name="complaint-themes", order=THEME_ORDER, sweep=_sweep, drain=_sweep, describe=describe
)
