from django.urls import path

from retainops.core import admin_views

app_name = "administration"

urlpatterns = [
    path("", admin_views.home, name="home"),
]
