"""Messaging pages, under /messages/ (URL names prefixed "messaging:")."""

from django.urls import path

from retainops.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("<int:pk>/retry/", views.message_retry, name="retry"),
    path("write/<int:client_pk>/", views.write, name="write"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("lists/", views.list_index, name="lists"),
    path("lists/new/", views.list_create, name="list_create"),
    path("lists/<int:pk>/", views.list_detail, name="list_detail"),
    path("lists/<int:pk>/edit/", views.list_edit, name="list_edit"),
    path("lists/<int:pk>/members/", views.member_add, name="member_add"),
    path("lists/members/<int:member_pk>/remove/", views.member_remove, name="member_remove"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
]
