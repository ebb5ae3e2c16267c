from django.urls import path

from retainops.health import views

app_name = "health"

urlpatterns = [
    path("", views.scorecards, name="scorecards"),
    path("scorecards/new/", views.new_scorecard, name="new_scorecard"),
    path("scorecards/<int:pk>/edit/", views.edit_scorecard, name="edit_scorecard"),
    path("models/", views.models, name="models"),
    path("models/train/", views.train, name="train"),
]
