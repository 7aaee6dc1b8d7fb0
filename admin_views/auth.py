"""Login, logout, password change and switching the current organization."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from admin_views.base import local_url, public, signed_in
from admin_views.forms import IdField, IntField, PageForm, Sent, TextField
from models import db
from services import clock
from services.api import passwords as app_passwords
from services.people import accounts
from services.errors import DomainError

bp = Blueprint("auth", __name__)


class LoginForm(PageForm):
    """The login and password; where to go next (the page's own ?next= or the form's)."""

    login = TextField(strip=True)
    password = TextField()
    next = TextField(source="values")
    posted_next = TextField(name="next")


class PasswordForm(PageForm):
    old_password = TextField()
    new_password = TextField()
    confirm_password = TextField()


class AppPasswordForm(PageForm):
    name = TextField(strip=True)


class RevokeForm(PageForm):
    password_id = IdField()


class SwitchOrganizationForm(PageForm):
    org_id = IntField()  # not an id of his: 403, whatever it is


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm.from_form()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(local_url(form.next.data) or url_for("admin.index"))
    error = None
    login_value = ""
    if request.method == "POST":
        login_value = form.login.data or ""
        try:
            user = accounts.authenticate(login_value, form.password.data or "",
                                         (request.remote_addr or "unknown")[:64])
        except DomainError as exc:
            error = str(exc)
        else:
            session.clear()
            login_user(user)
            session.permanent = True
            session["login_at"] = clock.timestamp()  # the session's absolute lifetime counts from here
            return redirect(local_url(form.posted_next.data) or url_for("admin.index"))
    return render_template("login.html", error=error, login_value=login_value,
                           next=local_url(form.next.data) or ""), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)
        logout_user()
    session.clear()
    flash("Вы вышли из системы.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/change-password", methods=["GET", "POST"])
@signed_in
@login_required
def change_password():
    error, sent = None, Sent()
    if request.method == "POST":
        form = PasswordForm.from_form()
        try:
            accounts.change_password(current_user, form.old_password.data or "", form.new_password.data or "",
                                     form.confirm_password.data or "")
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
            sent = Sent(request.form, exc.fields)  # the input marked; a password is never sent back
        else:
            # The session token was rotated: keep this session alive. The user object, not the
            # `current_user` proxy, which would then resolve to itself.
            login_user(current_user._get_current_object())
            flash("Пароль изменён.", "success")
            return redirect(url_for("admin.index"))
    return render_template("change_password.html", error=error, sent=sent,
                           forced=current_user.must_change_password), (400 if error else 200)


@bp.route("/switch-organization", methods=["POST"])
@signed_in
@login_required
def switch_organization():
    org_id = SwitchOrganizationForm.from_form().org_id.data
    if org_id not in g.actor.org_ids:
        abort(403)
    session["org_id"] = org_id
    return redirect(url_for("admin.index"))


def _app_passwords_page(new=None, error=None, sent=None, status=200):
    return render_template("app_passwords.html", rows=app_passwords.listed(current_user), new=new, error=error,
                           sent=sent or Sent(), may_have=app_passwords.may_have(current_user),
                           limit=app_passwords.MAX_ACTIVE), status


@bp.route("/app-passwords", methods=["GET", "POST"])
@signed_in
@login_required
def app_password_list():
    """«Пароли приложений» of the signed-in user: create (the password shown once), list, revoke."""
    if request.method == "POST":
        try:
            row, password = app_passwords.create(current_user, AppPasswordForm.from_form().name.data)
        except DomainError as exc:
            db.session.rollback()
            return _app_passwords_page(error=str(exc), sent=Sent(request.form, exc.fields), status=400)
        return _app_passwords_page(new=(row.name, password))
    return _app_passwords_page()


@bp.route("/app-passwords/revoke", methods=["POST"])
@signed_in
@login_required
def app_password_revoke():
    password_id = RevokeForm.from_form().password_id.data
    try:
        row = app_passwords.revoke(current_user, password_id)
    except DomainError as exc:
        db.session.rollback()
        return _app_passwords_page(error=str(exc), status=404)
    flash(f"Пароль приложения «{row.name}» отозван: приложения с ним больше не войдут.", "success")
    return redirect(url_for("auth.app_password_list"))
