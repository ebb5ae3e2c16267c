from django.db import migrations

# The survey and campaign signals join the agency's default scorecard as its next
# version (v1 and the snapshots scored by it are kept). Each is left out of a client's
# score while unknown (no survey answered, no KPI target set), so a client without
# them keeps the score it had.
ADDED = [
    ("nps", 2.0, 30.0, -30.0),
    ("survey_response_rate", 1.0, 0.6, 0.1),
    ("kpi_attainment", 2.0, 1.0, 0.6),
    ("pacing_gap", 1.0, 0.1, 0.5),
]


def add_measures(apps, schema_editor):
    Scorecard = apps.get_model("health", "Scorecard")
    Version = apps.get_model("health", "ScorecardVersion")
    Measure = apps.get_model("health", "Measure")
    card = Scorecard.objects.filter(business_unit__isnull=True).first()
    if card is None:
        return
    latest = Version.objects.filter(scorecard=card).order_by("-number").first()
    if latest is None:
        return
    have = set(Measure.objects.filter(version=latest).values_list("signal", flat=True))
    missing = [row for row in ADDED if row[0] not in have]
    if not missing:
        return
    version = Version.objects.create(
        scorecard=card,
        number=latest.number + 1,
        green_from=latest.green_from,
        amber_from=latest.amber_from,
        note="survey and campaign signals added",
    )
    for old in Measure.objects.filter(version=latest):
        Measure.objects.create(
            version=version, signal=old.signal, weight=old.weight, good=old.good, bad=old.bad
        )
    for signal, weight, good, bad in missing:
        Measure.objects.create(version=version, signal=signal, weight=weight, good=good, bad=bad)


class Migration(migrations.Migration):
    dependencies = [("health", "health_0002")]
    operations = [migrations.RunPython(add_measures, migrations.RunPython.noop)]
