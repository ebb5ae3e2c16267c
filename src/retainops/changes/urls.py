"""Pages of change requests: the list, one request, the planner, the monthly view of
contract changes, the reports, and their configuration."""

from django.urls import path

from retainops.changes import views

app_name = "changes"

urlpatterns = [
    path("changes/", views.request_list, name="list"),
    path("changes/planner/", views.planner, name="planner"),
    path("changes/planner.csv", views.planner_export, name="planner_export"),
    path("changes/monthly/", views.monthly, name="monthly"),
    path("changes/reports/", views.reports, name="reports"),
    path("changes/reasons/", views.reasons, name="reasons"),
    path("changes/routes/", views.routes, name="routes"),
    path("clients/<int:pk>/changes/new/", views.request_create, name="create"),
    path("changes/<int:pk>/", views.request_detail, name="detail"),
    path("changes/<int:pk>/edit", views.request_edit, name="edit"),
    path("changes/<int:pk>/save-attempt", views.save_attempt, name="save_attempt"),
    path("changes/<int:pk>/hand-over", views.hand_over, name="hand_over"),
    path("changes/<int:pk>/submit", views.submit, name="submit"),
    path("changes/<int:pk>/withdraw", views.withdraw, name="withdraw"),
    path("changes/removals/<int:pk>/removed", views.removal_done, name="removal_done"),
    path("changes/removals/<int:pk>/verified", views.removal_verified, name="removal_verified"),
]
