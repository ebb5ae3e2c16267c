"""The client portal: reached by a signed link, no staff account."""

from django.urls import path

from retainops.onboarding import portal_views

app_name = "portal"

urlpatterns = [
    path("portal/<str:token>/", portal_views.home, name="home"),
    path("portal/<str:token>/details", portal_views.details, name="details"),
    path("portal/<str:token>/proofs/<int:pk>/decide", portal_views.decide, name="decide"),
    path("portal/<str:token>/proofs/<int:pk>/file", portal_views.proof_file, name="proof_file"),
]
