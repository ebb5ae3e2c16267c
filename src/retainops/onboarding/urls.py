"""Staff pages of onboarding: the board, programs and their orders, proofs and portal
links, and the purchase-order requirements administrators configure."""

from django.urls import path

from retainops.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("onboarding/", views.board, name="board"),
    path("clients/<int:pk>/programs/new/", views.program_create, name="program_create"),
    path("onboarding/programs/<int:pk>/", views.program_detail, name="program"),
    path("onboarding/programs/<int:pk>/edit", views.program_edit, name="program_edit"),
    path("onboarding/programs/<int:pk>/order", views.program_order, name="program_order"),
    path("onboarding/programs/<int:pk>/sold", views.program_sold, name="program_sold"),
    path("onboarding/programs/<int:pk>/go-live", views.program_go_live, name="program_go_live"),
    path("onboarding/programs/<int:pk>/proofs", views.proof_upload, name="proof_upload"),
    path("onboarding/proofs/<int:pk>/file", views.proof_file, name="proof_file"),
    path("onboarding/programs/<int:pk>/links", views.link_issue, name="link_issue"),
    path("onboarding/programs/<int:pk>/links/send", views.link_send, name="link_send"),
    path("onboarding/links/<int:pk>/revoke", views.link_revoke, name="link_revoke"),
    path("onboarding/requirements/", views.requirement_list, name="requirements"),
    path("onboarding/requirements/new", views.requirement_edit, name="requirement_create"),
    path("onboarding/requirements/<int:pk>/", views.requirement_edit, name="requirement_edit"),
]
