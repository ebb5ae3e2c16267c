from django.urls import path

from retainops.core import search_views, views

urlpatterns = [
    path("login/", views.DemoAwareLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("search/", search_views.search_page, name="search"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("saved-filters/", views.saved_filter_save, name="saved_filter_save"),
    path("saved-filters/<int:pk>/delete", views.saved_filter_delete, name="saved_filter_delete"),
]
