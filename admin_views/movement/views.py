"""The movement book's views: orders and their students, the class history, the transfer to the
next year, and the reports «Наполняемость классов» and «Движение учащихся по школе».

Every change goes through services/movement/ (orders.py, enrollment.py, year_transfer.py); pages read
through the permission table.
Registered by admin_views/registry.py through `views()` and `pages()`.
"""

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_admin.model.template import LinkRowAction
from markupsafe import Markup, escape
from wtforms import validators
from sqlalchemy import Boolean, Date, select
from sqlalchemy.orm import joinedload, selectinload

from models import (COLLEGE_KINDS, AcademicYear, ClassMembership, LeaveReason, MovementItem, MovementKind,
                    MovementOrder, OrderStatus, SchoolClass, Sex, Student, StudentStatus, db)
from reports.document import Document, log_read
from reports.class_fill import class_fill, class_fill_xlsx
from reports.movement import movement_xlsx, order_lines, school_movement
from services import dates, permissions
from services.terms import KindPhrase, for_kind, kind_phrase
from services.movement import enrollment, entries, guards, year_transfer
from services.movement import orders as movement
from services.errors import DomainError, PermissionDenied
from services.params import parse_date, parse_int

from admin_views.movement.forms import (CardForm, ClassFillQuery, FileQuery, MovementReportQuery, OrderItemsForm,
                                        YearTransferForm)
from admin_views.base import SecureModelView, SecurePage, requires
from admin_views.forms import Sent, refused
from services.movement.roster import class_counts
from services.people import contingent

CATEGORY = "Движение"
K = MovementKind
KIND_CHOICES = [(k.value, kind_phrase(k.label)) for k in MovementKind if k is not K.CANCELLATION]
LANGUAGES = ["Английский", "Немецкий", "Французский", "Испанский", "Китайский"]


def _actor():
    return g.get("actor")


class KindName:
    """A menu name that follows the organization's kind (классы / группы), resolved when shown."""

    def __init__(self, school, college):
        self.school, self.college = school, college

    def __str__(self):
        actor = _actor() if has_request_context() else None
        return self.college if actor is not None and actor.org is not None and actor.org.is_college else self.school

    def __html__(self):
        return str(self)

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash((self.school, self.college))


def _d(value):
    return dates.format_date(value)


def _date_arg(field, default=None):
    """A date field's (value or `default`, None), or (None, its Russian message)."""
    error = field.error()
    if error is not None:
        return None, error
    return field.data or default, None


def _fail(exc):
    """A refused right is the 403 page; a refused rule is a message and nothing changed."""
    db.session.rollback()
    if isinstance(exc, PermissionDenied):
        abort(403)
    flash(str(exc), "error")


def _order_link(view, context, model, name):
    return Markup(f'<a href="{url_for(".items_view", id=model.id)}">{escape(model.number)}</a>')


def _order_of(view, context, model, name):
    order = getattr(model, name)
    return f"№ {order.number} от {_d(order.order_date)}" if order is not None else ""


class MovementOrderView(SecureModelView):
    """Книга движения: the orders; their students on the «Ученики приказа» page."""

    view_key = "movement_order"
    column_list = ("number", "order_date", "kind", "status", "effective_date", "students", "note")
    column_default_sort = [("order_date", True), ("id", True)]
    column_searchable_list = ("number", "note")
    column_filters = (filters.FilterEqual(MovementOrder.kind, "Тип", options=MovementKind.choices()),
                      filters.FilterEqual(MovementOrder.status, "Состояние", options=OrderStatus.choices()),
                      "order_date", "effective_date")
    column_choices = {"kind": MovementKind.choices(), "status": OrderStatus.choices()}
    form_columns = ("kind", "number", "order_date", "effective_date", "target_year", "note")
    form_choices = {"kind": KIND_CHOICES}
    form_optional_types = (Boolean, Date)  # an empty effective date means «from the order's date»
    form_args = {"effective_date": {"validators": [validators.Optional()]}}
    choice_filters = {"target_year": lambda actor: AcademicYear.is_closed.is_(False)}
    list_loader_options = (selectinload(MovementOrder.items),)
    column_formatters = {"students": lambda v, c, m, n: len(m.items), "number": _order_link,
                         "kind": lambda v, c, m, n: for_kind(m.kind_label)}
    column_formatters_export = {"students": lambda v, c, m, n: len(m.items)}
    column_export_list = ("number", "order_date", "kind", "status", "effective_date", "students", "note")
    column_extra_row_actions = [LinkRowAction("fa fa-users", "items/?id={row_id}", title=KindPhrase("Ученики приказа"))]
    column_descriptions = {
        "number": "Номер уникален в пределах календарного года",
        "effective_date": "Первый день нового положения учеников; пусто — дата приказа "
                          "(перевод на следующий год — первый день того года)",
        "target_year": "Только для перевода на следующий год и оставления на повторное обучение",
    }

    def _kinds(self, form, obj=None):
        if obj is not None and obj.kind == K.CANCELLATION.value:
            form.kind.choices = [(K.CANCELLATION.value, K.CANCELLATION.label)]  # its number and dates only
            return form
        college = self.actor.org is not None and self.actor.org.is_college
        form.kind.choices = [c for c in KIND_CHOICES if college or c[0] not in COLLEGE_KINDS]
        return form

    def create_form(self, obj=None):
        form = self._kinds(super().create_form(obj))
        if request.method == "GET":
            today = dates.today(self.actor.org)
            form.order_date.data = form.order_date.data or today
            form.number.data = form.number.data or movement.suggest_number(self.actor.org_id, today)
        return form

    def edit_form(self, obj=None):
        form = self._kinds(super().edit_form(obj), obj)
        if obj is not None and not obj.is_draft and request.method == "GET":
            flash(guards.APPLIED_IS_FINAL, "warning")
        return form

    def get_save_return_url(self, model, is_created=False):
        return url_for(".items_view", id=model.id)

    @action("apply", "Провести приказ",
            "Провести выбранные приказы? Ученики будут переведены; отменить проведённый приказ можно только "
            "приказом об отмене.")
    def action_apply(self, ids):
        applied = 0
        for order_id in ids:
            try:
                movement.apply_order(self.actor, int(order_id))
                applied += 1
            except DomainError as exc:
                _fail(exc)
        if applied:
            flash(f"Проведено приказов: {applied}", "success")

    @action("cancel", "Отменить приказом", "Подготовить приказ об отмене выбранного проведённого приказа?")
    def action_cancel(self, ids):
        if len(ids) != 1:
            flash("Выберите один приказ, который нужно отменить", "error")
            return None
        try:
            cancel = movement.draft_cancellation(self.actor, int(ids[0]))
        except DomainError as exc:
            _fail(exc)
            return None
        flash(f"Подготовлен черновик приказа об отмене № {cancel.number}: проверьте номер и дату и проведите его",
              "success")
        return redirect(url_for(".items_view", id=cancel.id))

    # -- the order's students --------------------------------------------------------------------

    @requires("details")
    @expose("/items/", methods=("GET", "POST"))
    def items_view(self):
        order = self.get_one_for(OrderItemsForm.from_form().id.data, "details")
        sent = Sent()
        if request.method == "POST":
            answer = self._items_post(order)
            if not isinstance(answer, Sent):
                return answer
            sent = answer  # students to add refused: the page again with the choice as it was made
        actor = self.actor
        order = movement._load(order.id)
        can_edit_header = permissions.allowed(actor, self.view_key, "edit") and order.is_draft
        can_edit = can_edit_header and order.kind != K.CANCELLATION.value
        problems = movement.check_order(actor, order.id) if order.is_draft else []
        later = movement.later_entries(actor, order.id) if order.is_draft and not problems else []
        cancellation = None
        if order.status != OrderStatus.DRAFT.value:
            cancellation = db.session.scalar(select(MovementOrder).where(MovementOrder.cancels_id == order.id)
                                             .order_by(MovementOrder.id.desc()))
        context = dict(order=order, items=order.items, problems=problems, can_edit=can_edit,
                       later=later, entries_choices=entries.ENTRIES_CHOICES, entries_question=entries.ENTRIES_QUESTION,
                       can_edit_header=can_edit_header,
                       can_delete=order.is_draft and permissions.allowed(actor, self.view_key, "delete"),
                       can_apply=order.is_draft and permissions.allowed(actor, self.view_key, "apply"),
                       can_cancel=order.status == OrderStatus.APPLIED.value and order.kind != K.CANCELLATION.value
                       and permissions.allowed(actor, self.view_key, "cancel"),
                       cancellation=cancellation, kinds=K, reasons=LeaveReason.choices(), d=_d,
                       year_end=order.kind in year_transfer.YEAR_END_KINDS and order.target_year_id is not None,
                       sent=sent)
        if can_edit:
            context.update(self._add_choices(order))
        return self.render("movement/items.html", **context)

    def _items_post(self, order):
        form = OrderItemsForm.from_form()
        actor, do = self.actor, form.do.data
        target = order.id
        try:
            if do == "add":
                to_class_id = form.to_class_id.data
                inputs = [movement.ItemInput(student_id=sid, to_class_id=to_class_id,
                                             reason=form.reason.data or None,
                                             destination=form.destination.data, note=form.note.data)
                          for sid in form.student_id.data]
                try:
                    made = movement.add_items(actor, order.id, inputs)
                except DomainError as exc:
                    return refused(exc)
                flash(f"Добавлено учеников: {len(made)}", "success")
            elif do == "remove":
                movement.remove_item(actor, form.item_id.data or 0)
                flash("Ученик убран из приказа", "success")
            elif do == "retarget":
                moved_to = year_transfer.retarget_item(actor, form.item_id.data or 0, form.kind.data)
                flash(f"Ученик перенесён в приказ № {moved_to.number} «{moved_to.kind_label}»", "success")
            elif do == "apply":
                applied = movement.apply_order(actor, order.id, entries=form.entries.data or None)
                flash(f"{applied} проведён: учеников — {len(applied.items)}", "success")
            elif do == "cancel":
                target = movement.draft_cancellation(actor, order.id).id
                flash("Подготовлен черновик приказа об отмене: проверьте номер и дату и проведите его", "success")
            elif do == "delete":
                permissions.require_rows(actor, self.view_key, "delete", MovementOrder, [order.id])
                db.session.delete(order)
                db.session.flush()
                flash("Черновик приказа удалён", "success")
                return redirect(url_for(".index_view"))
            else:
                abort(400)
        except DomainError as exc:
            _fail(exc)
        return redirect(url_for(".items_view", id=target))

    def _add_choices(self, order):
        """Who can be added to this order, and into which classes."""
        kind = order.kind
        query = select(Student, SchoolClass.name).outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        if kind == K.ENROLLMENT.value:
            query = query.where(Student.status != StudentStatus.STUDYING.value)
        elif kind == K.LEAVE_RETURN.value:
            query = query.where(Student.id.in_(select(ClassMembership.student_id).where(
                ClassMembership.end_date.is_(None), ClassMembership.on_leave.is_(True))))
        else:
            query = query.where(Student.status == StudentStatus.STUDYING.value)
        present = {i.student_id for i in order.items}
        groups = {}
        for student, class_name in db.session.execute(query.order_by(
                SchoolClass.grade, SchoolClass.name, Student.last_name, Student.first_name, Student.id)):
            if student.id not in present:
                groups.setdefault(class_name or "без класса", []).append(student)
        classes = _class_choices(order)
        needs = {"to_class": kind in (K.ENROLLMENT.value, K.TRANSFER.value, K.NEXT_YEAR.value, K.REPEAT.value,
                                      K.LEAVE_RETURN.value),
                 "reason": kind in (K.WITHDRAWAL.value, K.EXPULSION.value),
                 "destination": kind in (K.WITHDRAWAL.value, K.EXPULSION.value)}
        return dict(candidates=groups, classes=classes, needs=needs)

    # -- a new student's card in an enrollment order --------------------------------------------

    @requires("edit")
    @expose("/card/", methods=("GET", "POST"))
    def card_view(self):
        form = CardForm.from_form()
        order = self.get_one_for(form.id.data, "edit")
        actor = self.actor
        item_id = form.item_id.data
        item = db.session.get(MovementItem, item_id) if item_id else None
        if item is not None and (item.order_id != order.id or item.student_id is not None):
            abort(404)
        values = dict(item.card or {}) if item is not None else {}
        to_class_id = item.to_class_id if item is not None else None
        sent = Sent()
        if request.method == "POST":
            values = form.card()
            to_class_id = form.to_class_id.data
            try:
                enrollment.save_card(actor, order.id, values, to_class_id, item_id=item_id,
                                     version=form.version.data or "")
                flash("Карточка сохранена в приказе: ученик будет зачислен при проведении приказа", "success")
                if form.another.data:
                    return redirect(url_for(".card_view", id=order.id))
                return redirect(url_for(".items_view", id=order.id))
            except DomainError as exc:
                sent = refused(exc)  # the values typed stay (`values`), the fields it names marked
        for name, _, kind in enrollment.CARD_FIELDS:
            value = values.get(name)
            if kind == "date" and value and "-" in str(value):
                parsed = parse_date(str(value))
                values[name] = _d(parsed) if parsed else value
        classes = _class_choices(order)
        return self.render("movement/card.html", order=order, item=item, values=values, fields=enrollment.CARD_FIELDS,
                           classes=classes, to_class_id=to_class_id, sexes=Sex.choices(), languages=LANGUAGES,
                           codes=contingent.choices(), sent=sent)


def _class_choices(order):
    """The classes an order's students may go to: of the next year for a year transfer; of every
    open year not over by the order's date for an enrollment (first-graders in August); else of the
    year the order acts in. Labelled with the year when there are several."""
    query = select(SchoolClass).join(AcademicYear, AcademicYear.id == SchoolClass.year_id)
    if order.kind in (K.NEXT_YEAR.value, K.REPEAT.value):
        query = query.where(SchoolClass.year_id == order.target_year_id)
    elif order.kind == K.ENROLLMENT.value:
        query = query.where(AcademicYear.is_closed.is_(False), AcademicYear.end_date >= order.effective_date)
    else:
        year = guards.year_of(order.org_id, order.effective_date)
        query = query.where(SchoolClass.year_id == (year.id if year is not None else None))
    rows = db.session.execute(query.add_columns(AcademicYear.name)
                              .order_by(AcademicYear.start_date, SchoolClass.grade, SchoolClass.name)).all()
    several = len({name for _, name in rows}) > 1
    return [(klass.id, f"{klass.name} ({name})" if several else klass.name) for klass, name in rows]


class ClassMembershipView(SecureModelView):
    """История классов: who was in which class from when to when, and by which order."""

    view_key = "class_membership"
    column_list = ("student", "klass", "start_date", "end_date", "on_leave", "start_order", "end_order")
    column_default_sort = [("start_date", True), ("id", True)]
    column_filters = ("klass.name", "student.last_name", "start_date", "end_date")
    column_searchable_list = ()
    list_loader_options = (joinedload(ClassMembership.student), joinedload(ClassMembership.klass),
                           joinedload(ClassMembership.start_order), joinedload(ClassMembership.end_order))
    column_formatters = {"start_order": _order_of, "end_order": _order_of,
                         "end_date": lambda v, c, m, n: _d(m.end_date) or "по настоящее время"}
    column_formatters_export = {"start_order": _order_of, "end_order": _order_of}
    column_export_list = column_list


# -- hand-made pages -----------------------------------------------------------------------------

class MovementPage(SecurePage):
    view_key = None



def _years():
    return db.session.scalars(select(AcademicYear).order_by(AcademicYear.start_date)).all()


class YearTransferPage(MovementPage):
    """«Перевести на следующий год»: the draft transfer, repeaters' and graduates' orders."""

    view_key = "movement_order"

    @requires("year_transfer", rows=MovementOrder)
    @expose("/", methods=("GET", "POST"))
    def index(self):
        actor = self.actor
        years = _years()
        today = dates.today(self.actor.org)
        current = guards.year_of(actor.org_id, today) if years else None
        inputs = YearTransferForm.from_values()
        year_id = inputs.year_id.data
        year = next((y for y in years if y.id == year_id), current)
        later = [y for y in years if year is not None and y.start_date > year.start_date]
        picked = set(inputs.class_id.data)
        classes, result, error = [], None, None
        if year is not None:
            cond = permissions.row_condition(actor, "school_class", "list", SchoolClass)
            classes = db.session.scalars(select(SchoolClass).where(cond, SchoolClass.year_id == year.id)
                                         .options(joinedload(SchoolClass.class_teacher))
                                         .order_by(SchoolClass.grade, SchoolClass.name)).all()
        defaults = sorted(year_transfer.default_final_grades(actor.org, year)) if year is not None else []
        form = {"number": inputs.number.data or movement.suggest_number(actor.org_id, today),
                "order_date": inputs.order_date.data or _d(today),
                "final": inputs.final.data or ", ".join(map(str, defaults)),
                "next_year_id": inputs.next_year_id.data or (later[0].id if later else None)}
        if request.method == "POST":
            try:
                order_date = parse_date(form["order_date"])
                if order_date is None:
                    raise DomainError("Перевод на следующий год не подготовлен",
                                      ["Дата приказа указывается в виде дд.мм.гггг"])
                grades = [g for g in (parse_int(p.strip()) for p in form["final"].replace(";", ",").split(",")) if g]
                result = year_transfer.build_year_transfer(actor, sorted(picked), form["next_year_id"] or 0,
                                                           form["number"], order_date, final_grades=grades or None)
                flash(f"Черновики приказов готовы: добавлено учеников — {result.added}, создано "
                      f"{'групп' if actor.org.is_college else 'классов'} — {len(result.created_classes)}",
                      "success")
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, PermissionDenied):
                    abort(403)
                error = str(exc)
        counts = {}
        if classes:
            counts = class_counts([c.id for c in classes], max(min(today, year.end_date), year.start_date))
        return self.render("movement/year_transfer.html", years=years, year=year, later=later, classes=classes,
                           picked=picked, form=form, result=result, error=error, counts=counts, d=_d)


class ReportPage(MovementPage):
    def xlsx_wanted(self):
        if FileQuery.from_args().format.data != "xlsx":
            return False
        permissions.abort_unless(self.actor, self.view_key, "export")
        return True


class ClassFillPage(ReportPage):
    """«Наполняемость классов» на дату."""

    view_key = "report_class_fill"

    @requires("list", rows=SchoolClass)
    @expose("/")
    def index(self):
        query = ClassFillQuery.from_args()
        on_date, error = _date_arg(query.date, dates.today(self.actor.org))
        report = None
        if error is None:
            try:
                report = class_fill(self.actor, on_date)
            except DomainError as exc:
                if isinstance(exc, PermissionDenied):
                    abort(403)
                error = str(exc)
        if report is not None and self.xlsx_wanted():
            return class_fill_xlsx(report).response(f"napolnyaemost-{on_date:%Y-%m-%d}.xlsx")
        return self.render("movement/class_fill.html", report=report, error=error,
                           date_text=query.date.text or _d(dates.today(self.actor.org)),
                           can_export=permissions.allowed(self.actor, self.view_key, "export"))


class MovementReportPage(ReportPage):
    """«Движение учащихся по школе» за период."""

    view_key = "report_movement"

    @requires("list", rows=SchoolClass)
    @expose("/")
    def index(self):
        today = dates.today(self.actor.org)
        year = guards.year_of(self.actor.org_id, today)
        default_start = year.start_date if year is not None else today
        default_end = min(today, year.end_date) if year is not None else today
        query = MovementReportQuery.from_args()
        start, error = _date_arg(query.start, default_start)
        end, end_error = _date_arg(query.end, max(default_end, default_start))
        error = error or end_error
        report = None
        if error is None:
            try:
                report = school_movement(self.actor, start, end)
            except DomainError as exc:
                if isinstance(exc, PermissionDenied):
                    abort(403)
                error = str(exc)
        if report is not None:
            xlsx = self.xlsx_wanted()
            self._log_read(report, "xlsx" if xlsx else "экран")
            if xlsx:
                return movement_xlsx(report).response(f"dvizhenie-{start:%Y-%m-%d}-{end:%Y-%m-%d}.xlsx")
        return self.render("movement/movement_report.html", report=report, error=error, d=_d,
                           lines=list(order_lines(report)) if report is not None else [],
                           start_text=query.start.text or _d(default_start),
                           end_text=query.end.text or _d(max(default_end, default_start)),
                           can_export=permissions.allowed(self.actor, self.view_key, "export"))

    def _log_read(self, report, output):
        """The orders name students: a read of their personal data, logged like any report's."""
        named = {item.student_id for _, item in order_lines(report) if item.student_id is not None}
        log_read(self.actor, Document(name="movement", title=report.title, org=report.org,
                                      params=[("Период", report.params)], students=named), output)


class YearTransferActionMixin:
    """«Перевести на следующий год» on the classes list: opens the transfer page with the chosen
    classes. Attach to SchoolClassView (`class SchoolClassView(YearTransferActionMixin, SecureModelView)`)
    and grant the verb "transfer_next_year" on "school_class" to the administrator and HR."""

    @action("transfer_next_year", "Перевести на следующий год")
    def action_transfer_next_year(self, ids):
        return redirect(url_for("movement_year_transfer.index", class_id=[int(i) for i in ids]))


def views():
    """The secure model views of this domain, registered in admin_views/registry.py."""
    return [
        MovementOrderView(MovementOrder, "Книга движения", CATEGORY, "movement_order", "/movement/orders"),
        ClassMembershipView(ClassMembership, KindName("История классов", "История групп"), CATEGORY,
                            "class_membership", "/movement/history"),
    ]


def pages():
    """Hand-made pages of this domain."""
    return [
        YearTransferPage(name="Перевод на следующий год", category=CATEGORY, endpoint="movement_year_transfer",
                         url="/movement/year-transfer"),
        ClassFillPage(name=KindName("Наполняемость классов", "Наполняемость групп"), category=CATEGORY,
                      endpoint="report_class_fill", url="/reports/class-fill"),
        MovementReportPage(name=KindName("Движение учащихся", "Движение студентов"), category=CATEGORY,
                           endpoint="report_movement", url="/reports/movement"),
    ]
