"""Login, logout, password change and switching the current organization."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from admin_views.base import local_url, public, signed_in
from models import db
from services import clock
from services.people import accounts
from services.errors import DomainError
from services.params import parse_id

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(local_url(request.args.get("next")) or url_for("admin.index"))
    error = None
    login_value = ""
    if request.method == "POST":
        login_value = (request.form.get("login") or "").strip()
        try:
            user = accounts.authenticate(login_value, request.form.get("password") or "",
                                         (request.remote_addr or "unknown")[:64])
        except DomainError as exc:
            error = str(exc)
        else:
            session.clear()
            login_user(user)
            session.permanent = True
            session["login_at"] = clock.timestamp()  # the session's absolute lifetime counts from here
            return redirect(local_url(request.form.get("next")) or url_for("admin.index"))
    return render_template("login.html", error=error, login_value=login_value,
                           next=local_url(request.values.get("next")) or ""), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)
        db.session.commit()
        logout_user()
    session.clear()
    flash("Вы вышли из системы.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/change-password", methods=["GET", "POST"])
@signed_in
@login_required
def change_password():
    error = None
    if request.method == "POST":
        try:
            accounts.change_password(current_user, request.form.get("old_password") or "",
                                     request.form.get("new_password") or "",
                                     request.form.get("confirm_password") or "")
        except DomainError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            # The session token was rotated: keep this session alive. The user object, not the
            # `current_user` proxy, which would then resolve to itself.
            login_user(current_user._get_current_object())
            flash("Пароль изменён.", "success")
            return redirect(url_for("admin.index"))
    return render_template("change_password.html", error=error,
                           forced=current_user.must_change_password), (400 if error else 200)


@bp.route("/switch-organization", methods=["POST"])
@signed_in
@login_required
def switch_organization():
    org_id = parse_id(request.form.get("org_id"))
    if org_id not in g.actor.org_ids:
        abort(403)
    session["org_id"] = org_id
    return redirect(url_for("admin.index"))
