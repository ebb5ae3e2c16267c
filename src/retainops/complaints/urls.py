"""Pages of complaints: the list with the clocks, one complaint with its actions, the
raise form, improvement actions, and the recurring themes."""

from django.urls import path

from retainops.complaints import portal_views, views

app_name = "complaints"

urlpatterns = [
    path("complaints/", views.complaint_list, name="list"),
    path("clients/<int:pk>/complaints/new/", views.complaint_create, name="create"),
    path("complaints/<int:pk>/", views.complaint_detail, name="detail"),
    path("complaints/<int:pk>/move/<str:step>", views.complaint_move, name="move"),
    path("complaints/<int:pk>/resolve", views.complaint_resolve, name="resolve"),
    path("complaints/<int:pk>/reopen", views.complaint_reopen, name="reopen"),
    path("complaints/<int:pk>/reassign", views.complaint_reassign, name="reassign"),
    path("complaints/<int:pk>/actions/new", views.action_create, name="action_create"),
    path("complaints/actions/<int:pk>/done", views.action_done, name="action_done"),
    path("complaints/themes/", views.theme_list, name="themes"),
    path("portal/<str:token>/complaint", portal_views.raise_on_portal, name="portal_raise"),
    path("complaints/themes/<int:pk>/", views.theme_detail, name="theme"),
]
