"""Pages of end-customer data."""

from django.urls import path

from retainops.audience import views

app_name = "audience"

urlpatterns = [
    path("audience/", views.data_sets, name="list"),
    path("clients/<int:pk>/audience/new", views.add_data_set, name="add"),
    path("audience/<int:pk>/", views.data_set, name="detail"),
    path("audience/<int:pk>/sources", views.add_source, name="add_source"),
    path("audience/sources/<int:pk>/", views.source, name="source"),
    path("audience/sources/<int:pk>/upload", views.upload, name="upload"),
    path("audience/sources/<int:pk>/mapping", views.mapping, name="mapping"),
    path("audience/imports/<int:pk>/", views.import_run, name="run"),
    path("audience/<int:pk>/analyse", views.analyse, name="analyse"),
    path("audience/<int:pk>/segments", views.segments, name="segments"),
    path("audience/<int:pk>/customers", views.customer_list, name="customers"),
    path("audience/<int:pk>/merges", views.merges, name="merges"),
    path("audience/<int:pk>/split", views.split, name="split"),
    path("audience/<int:pk>/advice", views.advice_page, name="advice"),
    path("audience/<int:pk>/advice/<str:channel>.csv", views.export, name="export"),
]
