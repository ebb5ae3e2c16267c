from django.urls import path

from retainops.drops import views

app_name = "drops"

urlpatterns = [
    path("drops/", views.calendar, name="calendar"),
    path("drops/plan/", views.plan, name="plan"),
    path("drops/<int:pk>/", views.detail, name="detail"),
    path("drops/<int:pk>/<str:action>/", views.act, name="act"),
    path("staffing/", views.staffing, name="staffing"),
    path("drops/roster/", views.roster, name="roster"),
    path("drops/profiles/", views.profiles, name="profiles"),
    path("drops/training/", views.training, name="training"),
    path("drops/training/<int:program_id>/", views.training_pack, name="training_pack"),
]
