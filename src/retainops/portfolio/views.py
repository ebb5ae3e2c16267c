"""The portfolio page, which saves work, and the CSV export: the clients the person sees."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from retainops.core.spreadsheets import write_csv
from retainops.portfolio import lifetime, metrics, saves
from retainops.portfolio.sections import has_section, sections_for


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    data = metrics.portfolio(request.user)
    overall = [row for row in data.months if row.unit == "All units"]
    context = {
        "data": data,
        "overall": overall,
        "by_unit": [row for row in data.months if row.unit != "All units"],
        "chart": metrics.cohort_chart(data.curves),
        "saves": saves.saves_report(request.user),
        "segments": lifetime.book_segments().values() if data.clients else [],
        "annual_rate": lifetime.annual_discount_rate(),
        "sections": sections_for(request.user),
        "health_pending": not has_section("health_distribution"),
    }
    return render(request, "portfolio/portfolio.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    data = metrics.portfolio(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="portfolio.csv"'
    # Unit names are typed by people: written through the formula-safe writer.
    write_csv(response, [metrics.CSV_HEADER, *metrics.csv_rows(data.months)])
    return response
