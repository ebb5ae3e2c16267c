"""Temporary: replaced by the real pages."""

from django.http import HttpResponse


def request_list(request, **kwargs):
    return HttpResponse("request_list")


def planner(request, **kwargs):
    return HttpResponse("planner")


def planner_export(request, **kwargs):
    return HttpResponse("planner_export")


def monthly(request, **kwargs):
    return HttpResponse("monthly")


def reports(request, **kwargs):
    return HttpResponse("reports")


def reasons(request, **kwargs):
    return HttpResponse("reasons")


def routes(request, **kwargs):
    return HttpResponse("routes")


def request_create(request, **kwargs):
    return HttpResponse("request_create")


def request_detail(request, **kwargs):
    return HttpResponse("request_detail")


def request_edit(request, **kwargs):
    return HttpResponse("request_edit")


def save_attempt(request, **kwargs):
    return HttpResponse("save_attempt")


def hand_over(request, **kwargs):
    return HttpResponse("hand_over")


def submit(request, **kwargs):
    return HttpResponse("submit")


def withdraw(request, **kwargs):
    return HttpResponse("withdraw")


def removal_done(request, **kwargs):
    return HttpResponse("removal_done")


def removal_verified(request, **kwargs):
    return HttpResponse("removal_verified")
