"""Temporary: replaced by the real pages."""

from django.http import HttpResponse


def home(request, **kwargs):
    return HttpResponse("home")


def details(request, **kwargs):
    return HttpResponse("details")


def decide(request, **kwargs):
    return HttpResponse("decide")


def proof_file(request, **kwargs):
    return HttpResponse("proof_file")
