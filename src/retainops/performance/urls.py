"""Pages of performance: a program's KPIs and targets, its report (page, PDF, portal),
the KPI catalogue and the performance data import."""

from django.urls import path

from retainops.performance import views

app_name = "performance"

urlpatterns = [
    path("performance/programs/<int:pk>/", views.program_kpis, name="program"),
    path("performance/programs/<int:pk>/report", views.report, name="report"),
    path("performance/programs/<int:pk>/report.pdf", views.report_pdf_view, name="report_pdf"),
    path("performance/programs/<int:pk>/note", views.note, name="note"),
    path("performance/kpis/", views.kpis, name="kpis"),
    path("performance/import/", views.import_data, name="import"),
    path("portal/<str:token>/report", views.portal_report, name="portal_report"),
]
