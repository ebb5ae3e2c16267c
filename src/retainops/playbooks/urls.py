"""Pages of the process engine: my work, tasks, playbooks, runs."""

from django.urls import path

from retainops.playbooks import views

app_name = "playbooks"

urlpatterns = [
    path("work/", views.my_work, name="my_work"),
    path("work/tasks/", views.task_list, name="tasks"),
    path("work/tasks/reassign", views.task_bulk_reassign, name="tasks_reassign"),
    path("work/tasks/<int:pk>/", views.task_detail, name="task"),
    path("work/tasks/<int:pk>/complete", views.task_complete, name="task_complete"),
    path("work/tasks/<int:pk>/decide", views.task_decide, name="task_decide"),
    path("work/tasks/<int:pk>/reassign", views.task_reassign, name="task_reassign"),
    path("work/tasks/<int:pk>/skip", views.task_skip, name="task_skip"),
    path("work/tasks/<int:pk>/comment", views.task_comment, name="task_comment"),
    path(
        "work/tasks/<int:pk>/files/<int:file_pk>",
        views.task_attachment,
        name="task_attachment",
    ),
    path("playbooks/", views.playbook_list, name="list"),
    path("playbooks/publish/", views.playbook_publish, name="publish"),
    path("playbooks/runs/<int:pk>/", views.run_detail, name="run"),
    path("playbooks/runs/<int:pk>/cancel", views.run_cancel, name="run_cancel"),
    path("playbooks/runs/<int:pk>/anchor", views.run_anchor, name="run_anchor"),
    path("playbooks/<slug:key>/", views.playbook_detail, name="detail"),
    path("playbooks/<slug:key>/v<int:number>/", views.playbook_version, name="version"),
    path("playbooks/<slug:key>/active", views.playbook_active, name="active"),
    path("clients/<int:pk>/runs/start/", views.run_start, name="start"),
    path("clients/<int:pk>/timeline/", views.client_timeline, name="timeline"),
]
