from django.urls import path

from retainops.core import search_views, views

urlpatterns = [
    path("login/", views.DemoAwareLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("search/", search_views.search_page, name="search"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
]
