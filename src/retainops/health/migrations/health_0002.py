from django.db import migrations

# The agency's default scorecard, for every unit without its own: the signals that
# exist today, each with the value that earns full points and the one that earns none.
MEASURES = [
    ("days_since_touch", 3.0, 7.0, 45.0),
    ("breached_complaints", 3.0, 0.0, 2.0),
    ("missed_contacts", 2.0, 0.0, 3.0),
    ("cadence_adherence", 2.0, 0.9, 0.4),
    ("open_complaints", 1.0, 0.0, 3.0),
    ("pauses", 1.0, 0.0, 1.0),
    ("budget_cuts", 1.0, 0.0, 1.0),
    ("change_requests", 1.0, 0.0, 2.0),
]


def create(apps, schema_editor):
    Scorecard = apps.get_model("health", "Scorecard")
    Version = apps.get_model("health", "ScorecardVersion")
    Measure = apps.get_model("health", "Measure")
    if Scorecard.objects.filter(business_unit__isnull=True).exists():
        return
    card = Scorecard.objects.create(name="Agency default")
    version = Version.objects.create(
        scorecard=card, number=1, green_from=75, amber_from=50, note="as shipped"
    )
    for signal, weight, good, bad in MEASURES:
        Measure.objects.create(version=version, signal=signal, weight=weight, good=good, bad=bad)


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
