"""Temporary: replaced by the real pages."""

from django.http import HttpResponse


def board(request, **kwargs):
    return HttpResponse("board")


def program_create(request, **kwargs):
    return HttpResponse("program_create")


def program_detail(request, **kwargs):
    return HttpResponse("program_detail")


def program_edit(request, **kwargs):
    return HttpResponse("program_edit")


def program_order(request, **kwargs):
    return HttpResponse("program_order")


def program_sold(request, **kwargs):
    return HttpResponse("program_sold")


def program_go_live(request, **kwargs):
    return HttpResponse("program_go_live")


def proof_upload(request, **kwargs):
    return HttpResponse("proof_upload")


def proof_file(request, **kwargs):
    return HttpResponse("proof_file")


def link_issue(request, **kwargs):
    return HttpResponse("link_issue")


def link_send(request, **kwargs):
    return HttpResponse("link_send")


def link_revoke(request, **kwargs):
    return HttpResponse("link_revoke")


def requirement_list(request, **kwargs):
    return HttpResponse("requirement_list")


def requirement_edit(request, **kwargs):
    return HttpResponse("requirement_edit")
