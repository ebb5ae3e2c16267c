"""The starting KPI catalogue, the defaults of each service line, and two sources."""

from django.db import migrations

KPIS = [
    ("impressions", "Impressions", "impressions", "count", True),
    ("clicks", "Clicks", "clicks", "count", True),
    ("ctr", "Click-through rate", "clicks / impressions * 100", "percent", True),
    ("video_completions", "Video completions", "video_completions", "count", True),
    ("leads", "Leads", "leads", "count", True),
    ("calls", "Calls", "calls", "count", True),
    ("conversions", "Conversions", "conversions", "count", True),
    ("cpl", "Cost per lead", "spend / leads", "money", False),
    ("cpa", "Cost per acquisition", "spend / conversions", "money", False),
    ("revenue", "Revenue", "revenue", "money", True),
    ("roas", "Return on ad spend", "revenue / spend", "ratio", True),
    ("spend", "Spend", "spend", "money", True),
]
DEFAULTS = {
    "targeted-display": ["impressions", "clicks", "ctr", "conversions"],
    "sem": ["clicks", "ctr", "leads", "cpl"],
    "seo": ["leads", "calls"],
    "ott": ["impressions", "video_completions"],
    "event-targeting": ["impressions", "conversions", "cpa"],
    "social": ["clicks", "ctr", "leads", "cpl"],
    "website": ["leads", "conversions"],
    "email": ["clicks", "conversions", "roas"],
}
SOURCES = [
    (
        "ad-platform",
        "Ad platform export",
        {
            "date": "Day",
            "program": "Program",
            "service": "Line",
            "currency": "Currency",
            "metrics": {
                "impressions": "Impressions",
                "clicks": "Clicks",
                "conversions": "Conversions",
                "leads": "Leads",
                "spend": "Cost",
                "revenue": "Revenue",
            },
        },
        "%Y-%m-%d",
        ",",
        ".",
    ),
    (
        "dsp",
        "DSP export (day/month/year, decimal comma)",
        {
            "date": "Date",
            "program": "Program ID",
            "service": "Service",
            "metric": "Metric",
            "value": "Value",
        },
        "%d/%m/%Y",
        ".",
        ",",
    ),
    ("api", "Pushed through the API", {}, "%Y-%m-%d", "", "."),
]


def write(apps, schema_editor):
    kpi_model = apps.get_model("performance", "Kpi")
    default_model = apps.get_model("performance", "ServiceKpi")
    service_model = apps.get_model("clients", "ServiceLine")
    source_model = apps.get_model("performance", "MetricSource")
    kpis = {}
    for position, (key, name, formula, unit, higher) in enumerate(KPIS):
        kpis[key], _ = kpi_model.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "formula": formula,
                "unit": unit,
                "higher_is_better": higher,
                "position": position,
            },
        )
    for code, keys in DEFAULTS.items():
        service = service_model.objects.filter(code=code).first()
        if service is None:
            continue
        for key in keys:
            default_model.objects.get_or_create(service=service, kpi=kpis[key])
    for key, name, mapping, date_format, thousands, decimal in SOURCES:
        source_model.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "mapping": mapping,
                "date_format": date_format,
                "thousands": thousands,
                "decimal": decimal,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("performance", "0001_initial"), ("clients", "0003_default_catalogue")]

    operations = [migrations.RunPython(write, migrations.RunPython.noop)]
