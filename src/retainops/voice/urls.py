"""Pages of the voice of the customer."""

from django.urls import path

from retainops.voice import views

app_name = "voice"

urlpatterns = [
    path("survey/<str:token>/", views.answer, name="answer"),
    path("voice/", views.overview, name="overview"),
    path("clients/<int:pk>/voice/send", views.send, name="send"),
    path("clients/<int:pk>/voice/observe", views.observe, name="observe"),
    path("voice/follow-ups/<int:pk>/done", views.follow_up_done, name="follow_up_done"),
    path("voice/feedback/<int:pk>/", views.session, name="session"),
    path("voice/actions/<int:pk>/done", views.action_done, name="action_done"),
]
