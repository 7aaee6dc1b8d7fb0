"""Notifications by e-mail (issue 16.7): every signed-in user's page «Уведомления» (which e-mails he gets, to
which address) and the administrator's read-only «Очередь уведомлений» (his organization's e-mails, the
failures with their last error). The queue and the choices are services/notify.py; the sending,
services/notify_send.py."""
from flask import current_app, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEmpty, FilterEqual
from sqlalchemy.orm import joinedload

from admin_views import formatting
from admin_views.base import SecureModelView, SecurePage, signed_in
from admin_views.forms import REFUSED, PageForm, Sent, TextListField, refused
from models import Notification
from services import notify
from services.errors import DomainError
from services.notify_send import SETTINGS_PATH

LABELS = {
    "message": "Новые сообщения", "answer": "Ответы на мои вопросы", "announcement": "Объявления для меня",
    "flag": "Ответы на «отметка ошибочна»", "request": "Ответы на запросы об исправлении данных",
    "digest": "Еженедельная сводка отметок и пропусков детей",
}


class SettingsForm(PageForm):
    kinds = TextListField(name="kind")  # the ticked boxes


class NotificationSettingsPage(SecurePage):
    """«Уведомления»: reached from the menu under the user's name, not the main menu."""

    def is_visible(self):
        return False

    def offered(self, user_id):
        return [kind for kind in notify.KINDS if kind != "digest" or notify.is_parent(user_id)]

    @signed_in
    @expose("/", methods=("GET", "POST"))
    def index(self):
        user_id = g.actor.user_id
        offered = self.offered(user_id)
        sent = Sent()
        status = 200
        if request.method == "POST":
            try:
                notify.save_choices(user_id, SettingsForm.from_form().kinds.data or [], offered)
            except DomainError as exc:
                sent, status = refused(exc), REFUSED
            else:
                flash("Настройки уведомлений сохранены.", "success")
                return redirect(url_for(".index"))
        return self.render("notify/settings.html", choices=notify.choices(user_id), offered=offered, labels=LABELS,
                           address=notify.address_of(user_id, g.actor.org_id), sent=sent,
                           mail_enabled=bool(current_app.config.get("MAIL_ENABLED"))), status


class SentFilter(FilterEmpty):
    """«Отправлено: да / нет»."""

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column.is_not(None) if value == "1" else column.is_(None))

    def operation(self):
        return "равно"


def _kind(view, context, model, name):
    return notify.KINDS.get(model.kind, model.kind)


def _when(view, context, model, name):
    return formatting.format_datetime(getattr(model, name))


def _state(view, context, model, name):
    if model.sent_at is not None:
        return "отправлено"
    if model.failed:
        return "не отправлено"
    return "ждёт отправки" if not model.attempts else "повтор после ошибки"


class NotificationView(SecureModelView):
    """«Очередь уведомлений»: read-only; only the organization's rows (the permission table's grant)."""

    view_key = "notification"
    column_list = ("created_at", "user", "address", "kind", "subject", "state", "attempts", "next_attempt_at",
                   "sent_at", "last_error")
    # The body is not shown: a message's text is its participants' alone (issue 16.1), not the administrator's.
    column_details_list = ("created_at", "user", "address", "kind", "subject", "state", "attempts",
                           "next_attempt_at", "sent_at", "failed", "last_error")
    column_labels = {"state": "Состояние", "next_attempt_at": "Следующая попытка"}
    column_default_sort = [("created_at", True), ("id", True)]
    column_formatters = {"kind": _kind, "state": _state, "created_at": _when, "sent_at": _when,
                         "next_attempt_at": _when}
    column_filters = (SentFilter(Notification.sent_at, "Отправлено"),
                      BooleanEqualFilter(Notification.failed, "Не отправлено окончательно"),
                      FilterEqual(Notification.kind, "Вид", options=list(notify.KINDS.items())))
    column_searchable_list = ("address", "subject")
    list_loader_options = (joinedload(Notification.user),)


def pages():
    return [NotificationSettingsPage(name="Уведомления", endpoint="notify_settings", url=SETTINGS_PATH.rstrip("/"))]
