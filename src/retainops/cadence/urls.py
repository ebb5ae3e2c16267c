"""Pages of contact plans: a client's plan, clients without a touchpoint, the workload."""

from django.urls import path

from retainops.cadence import views

app_name = "cadence"

urlpatterns = [
    path("clients/<int:pk>/cadence/", views.client_plan, name="client"),
    path("clients/<int:pk>/cadence/items", views.add_item, name="add_item"),
    path("clients/<int:pk>/cadence/template", views.apply_template, name="apply_template"),
    path("clients/<int:pk>/cadence/touchpoints", views.log_touchpoint, name="log_touchpoint"),
    path("cadence/items/<int:pk>/state", views.item_state, name="item_state"),
    path(
        "cadence/occurrences/<int:pk>/<str:action>",
        views.occurrence_action,
        name="occurrence_action",
    ),
    path("cadence/untouched/", views.untouched, name="untouched"),
    path("cadence/workload/", views.workload_page, name="workload"),
    path("cadence/workload/reassign", views.reassign, name="reassign"),
]
