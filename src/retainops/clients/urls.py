"""Client pages under /clients/, and the catalogue's administration pages under
/administration/ (URL names prefixed "clients:")."""

from django.urls import include, path

from retainops.clients import admin_views, transfer_views, views

app_name = "clients"

record_patterns = [
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

catalogue_patterns = [
    path("services/", admin_views.service_list, name="services"),
    path("services/new/", admin_views.service_create, name="service_create"),
    path("services/<int:pk>/", admin_views.service_edit, name="service_edit"),
    path("tools/", admin_views.tool_list, name="tools"),
    path("tools/new/", admin_views.tool_create, name="tool_create"),
    path("tools/<int:pk>/", admin_views.tool_edit, name="tool_edit"),
]

urlpatterns = [
    path("clients/", include(record_patterns)),
    path("administration/", include(catalogue_patterns)),
]
