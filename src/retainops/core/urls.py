from django.urls import path

from retainops.core import views

urlpatterns = [
    path("login/", views.DemoAwareLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
]
