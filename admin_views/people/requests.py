"""Requests to correct personal data (issue 16.5, services/people/requests.py): a parent's «Мои запросы» and
«Новый запрос»; the class teacher's and HR's list and the answer — the change made through the card's rules, or
refused with a reason. The scan of a request is downloaded only by those who read the request (everyone else: 404).
"""
from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_admin import expose

from models import DataRequest, Role
from services import audit, permissions
from services.errors import DomainError, PermissionDenied
from services.people import requests as data_requests
from services.terms import for_kind
from services.uploads import read_upload

from admin_views.base import SecurePage, requires
from admin_views.files import download
from admin_views.forms import REFUSED, Sent, refused
from admin_views.people.forms import DataRequestAnswerForm, DataRequestForm


class MenuName:
    """The menu's name of the page: the parent's own requests, or the requests staff answer."""

    def __str__(self):
        actor = getattr(g, "actor", None) if has_request_context() else None
        if actor is not None and Role.PARENT.value in actor.roles and not actor.staff_id:
            return "Мои запросы"
        return "Запросы родителей"

    def __html__(self):
        return str(self)

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash("data_requests")


class DataRequestsPage(SecurePage):
    view_key = "data_request"
    needs_organization = True

    def _request_or_404(self, request_id, verb="details"):
        found = data_requests.get(self.actor, request_id, verb)
        if found is None:
            abort(404)
        return found

    @requires("list", rows=DataRequest)
    @expose("/")
    def index(self):
        rows = data_requests.listing(self.actor)
        return self.render("people/requests/index.html", rows=rows, describe=data_requests.describe,
                           field_label=data_requests.field_label, may_send=self._may("create"))

    def _may(self, verb):
        return permissions.allowed(self.actor, self.view_key, verb) and (verb != "create" or self.actor.parent_id)

    def _new_page(self, sent, status=200):
        return self.render("people/requests/new.html", sent=sent,
                           cards=data_requests.card_choices(self.actor),
                           student_fields=data_requests.field_choices("student"),
                           parent_fields=data_requests.field_choices("parent")), status

    @requires("create", rows=DataRequest)
    @expose("/new", methods=("GET", "POST"))
    def new(self):
        if not self.actor.parent_id:
            abort(403)
        if request.method == "GET":
            return self._new_page(Sent())
        form = DataRequestForm.from_form()
        try:
            upload = request.files.get("scan")
            scan = (upload.filename, read_upload(upload, expected=None)) \
                if upload is not None and upload.filename else None
            kind, card_id = form.card_kind_and_id()
            sent = data_requests.send(self.actor, kind, card_id, form.field.data, form.proposed.data,
                                      form.comment.data, scan)
        except PermissionDenied:
            abort(404)
        except DomainError as exc:
            return self._new_page(refused(exc), REFUSED)
        flash(for_kind(f"Запрос № {sent.id} отправлен классному руководителю и специалисту отдела кадров."), "success")
        return redirect(url_for(".index"))

    @requires("details", rows=DataRequest, denied=404)
    @expose("/<id:request_id>/")
    def details(self, request_id):
        found = self._request_or_404(request_id)
        return self._details_page(found, Sent())

    def _details_page(self, found, sent, status=200):
        answering = found.status == "open" and data_requests.get(self.actor, found.id, "answer") is not None
        if found.author_id != self.actor.parent_id:
            audit.log_read(self.actor, "view_card", "data_request", found.id, data_requests.describe(found))
        card = found.card
        return self.render("people/requests/details.html", item=found, sent=sent, answering=answering,
                           describe=data_requests.describe(found), field_label=data_requests.field_label(found),
                           current=data_requests.shown(getattr(card, found.field))), status

    @requires("answer", rows=DataRequest, denied=404)
    @expose("/<id:request_id>/answer", methods=("POST",))
    def answer(self, request_id):
        found = self._request_or_404(request_id, "answer")
        form = DataRequestAnswerForm.from_form()
        try:
            if form.do.data == "apply":
                data_requests.apply(self.actor, found.id, form.version.data, form.value.data, form.answer.data)
                message = "Изменение внесено в карточку, запрос закрыт"
            elif form.do.data == "refuse":
                data_requests.refuse(self.actor, found.id, form.version.data, form.answer.data)
                message = "Запрос закрыт с отказом"
            else:
                abort(400)
        except PermissionDenied:
            abort(404)
        except DomainError as exc:
            sent = refused(exc)
            return self._details_page(self._request_or_404(request_id), sent, REFUSED)
        flash(f"{message}; родитель уведомлён.", "success")
        return redirect(url_for(".details", request_id=found.id))

    @requires("details", rows=DataRequest, denied=404)
    @expose("/<id:request_id>/scan")
    def scan(self, request_id):
        stored = data_requests.readable_scan(self.actor, request_id)
        if stored is None:
            abort(404)
        return download(stored)


def pages():
    """Hand-made pages of this part, for admin_views/registry.py."""
    return [DataRequestsPage(name=MenuName(), endpoint="data_requests", url="/requests")]
