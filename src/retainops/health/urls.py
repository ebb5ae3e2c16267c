from django.urls import path

from retainops.health import views

app_name = "health"

urlpatterns = [
    path("", views.scorecards, name="scorecards"),
    path("models/", views.models, name="models"),
    path("models/train/", views.train, name="train"),
]
