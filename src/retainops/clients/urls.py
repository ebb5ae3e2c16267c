from django.urls import path

from retainops.clients import transfer_views, views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("import/", transfer_views.import_view, name="import"),
    path("export/<str:kind>.<str:fmt>", transfer_views.export_view, name="export"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/status/", views.client_transition, name="transition"),
    path("<int:pk>/team/", views.team_assign, name="team"),
    path("<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_pk>/remove/", views.contact_remove, name="contact_remove"),
    path("<int:pk>/tools/", views.tool_add, name="tool_add"),
    path("tools/<int:entry_pk>/remove/", views.tool_remove, name="tool_remove"),
    path("<int:pk>/contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:contract_pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:contract_pk>/lines/", views.contract_line_set, name="line_set"),
    path(
        "contracts/<int:contract_pk>/lines/<int:line_pk>/remove/",
        views.contract_line_remove,
        name="line_remove",
    ),
    path("contracts/<int:contract_pk>/status/", views.contract_transition, name="contract_status"),
]
