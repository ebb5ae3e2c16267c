"""Administration pages, under /administration/ (URL names prefixed "administration:").

The catalogue pages under the same prefix are the clients app's (``clients:services``...).
"""

from django.urls import path

from retainops.core import admin_views as v

app_name = "administration"

urlpatterns = [
    path("", v.home, name="home"),
    path("units/", v.unit_list, name="units"),
    path("units/new/", v.unit_create, name="unit_create"),
    path("units/<int:pk>/", v.unit_edit, name="unit_edit"),
    path("roles/", v.role_list, name="roles"),
    path("roles/new/", v.role_create, name="role_create"),
    path("roles/<int:pk>/", v.role_edit, name="role_edit"),
    path("users/", v.user_list, name="users"),
    path("users/new/", v.user_create, name="user_create"),
    path("users/<int:pk>/", v.user_edit, name="user_edit"),
    path("teams/", v.team_list, name="teams"),
    path("teams/new/", v.team_create, name="team_create"),
    path("teams/<int:pk>/", v.team_edit, name="team_edit"),
]
