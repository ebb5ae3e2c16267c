"""Temporary: replaced by the real pages."""

from django.http import HttpResponse


def my_work(request, **kwargs):
    return HttpResponse("my_work")


def task_detail(request, **kwargs):
    return HttpResponse("task_detail")


def task_complete(request, **kwargs):
    return HttpResponse("task_complete")


def task_decide(request, **kwargs):
    return HttpResponse("task_decide")


def task_reassign(request, **kwargs):
    return HttpResponse("task_reassign")


def task_skip(request, **kwargs):
    return HttpResponse("task_skip")


def task_comment(request, **kwargs):
    return HttpResponse("task_comment")


def task_attachment(request, **kwargs):
    return HttpResponse("task_attachment")


def playbook_list(request, **kwargs):
    return HttpResponse("playbook_list")


def playbook_publish(request, **kwargs):
    return HttpResponse("playbook_publish")


def run_detail(request, **kwargs):
    return HttpResponse("run_detail")


def run_cancel(request, **kwargs):
    return HttpResponse("run_cancel")


def run_anchor(request, **kwargs):
    return HttpResponse("run_anchor")


def playbook_detail(request, **kwargs):
    return HttpResponse("playbook_detail")


def playbook_version(request, **kwargs):
    return HttpResponse("playbook_version")


def playbook_active(request, **kwargs):
    return HttpResponse("playbook_active")


def run_start(request, **kwargs):
    return HttpResponse("run_start")


def client_timeline(request, **kwargs):
    return HttpResponse("client_timeline")
