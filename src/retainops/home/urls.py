from django.urls import path

from retainops.home import views

app_name = "home"

urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/open", views.notification_open, name="notification_open"),
    path("notifications/read", views.notifications_read, name="notifications_read"),
]
