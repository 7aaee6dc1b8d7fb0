"""Person cards: staff, students, parents, classes; the accounts list."""
from flask_admin.form import rules
from flask_admin.model.template import EndpointLinkRowAction
from sqlalchemy.orm import joinedload
from wtforms import fields

from models import (STAFF_ROLES, AcademicYear, Parent, ParentRelation, SchoolClass, Sex, Staff, Student,
                    StudentStatus)
from services import permissions  # people also registers the card validators
from services.terms import for_kind, kind_phrase
from services.people import cards as people
from services.movement import guards as movement_guards

from admin_views.movement.views import YearTransferActionMixin
from admin_views.base import (AccountActionsMixin, LoginActionsMixin, SecureModelView, account_status, open_years,
                              reachable)

SEXES = Sex.choices()
QUALIFICATION = [("", "—"), ("высшая", "Высшая"), ("первая", "Первая"),
                 ("соответствие", "Соответствие занимаемой должности"), ("без категории", "Без категории")]
LANGUAGES = [("", "—"), ("Английский", "Английский"), ("Немецкий", "Немецкий"),
             ("Французский", "Французский"), ("Испанский", "Испанский"), ("Китайский", "Китайский")]

def _classes_for(actor):
    """HR and the administrator place a student in any open class; a class teacher only in his own."""
    if permissions.allowed(actor, "student", "any_class"):
        return SchoolClass.year.has(AcademicYear.is_closed.is_(False))
    return SchoolClass.id.in_(actor.own_class_ids)


class StaffFunctionsMixin:
    """Functions on a staff card are access rights: every save goes through
    services/people.check_staff_change (who appoints, who gives administrator rights)."""

    form_extra_fields = {"role_codes": fields.SelectMultipleField(
        "Функции (роли) в системе", choices=[(r.value, kind_phrase(r.label)) for r in STAFF_ROLES])}
    # «Учитель, Классный руководитель» in a college: «Преподаватель, Куратор».
    column_formatters = {"roles_label": lambda view, context, model, name: for_kind(model.roles_label)}

    def on_model_change(self, form, model, is_created):
        people.check_staff_change(self.actor, model)
        super().on_model_change(form, model, is_created)


class StaffView(StaffFunctionsMixin, LoginActionsMixin, SecureModelView):
    view_key = "staff"
    column_list = ("last_name", "first_name", "middle_name", "position", "roles_label", "hire_date",
                   "account")
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ("last_name", "first_name", "middle_name")
    column_filters = ("position.name", "hire_date", "dismissal_date")
    column_choices = {"sex": SEXES}
    form_choices = {"sex": SEXES, "qualification_category": QUALIFICATION}
    form_columns = ("last_name", "first_name", "middle_name", "sex", "birth_date", "snils", "position",
                    "role_codes", "rank", "qualification_category", "hire_date", "hire_order_number",
                    "dismissal_date", "phone", "email")
    column_formatters = {**StaffFunctionsMixin.column_formatters, "account": account_status}
    list_loader_options = (joinedload(Staff.position), joinedload(Staff.user))
    column_descriptions = {"role_codes": "Классного руководителя назначают в карточке класса."}
    column_export_list = ("last_name", "first_name", "middle_name", "sex", "birth_date", "position",
                          "roles_label", "rank", "qualification_category", "hire_date", "phone", "email")

    def _without_functions_unless_appointing(self, form):
        if "role_codes" in form and not permissions.allowed(self.actor, "staff_function", "edit"):
            delattr(form, "role_codes")
        return form

    def create_form(self, obj=None):
        return self._without_functions_unless_appointing(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._without_functions_unless_appointing(super().edit_form(obj))

    def on_model_delete(self, model):
        people.check_staff_change(self.actor, model, deleting=True)


class StaffFunctionView(StaffFunctionsMixin, SecureModelView):
    """The director's appointments (seed 000 §4.8): only the functions of each staff card."""

    view_key = "staff_function"
    column_list = ("last_name", "first_name", "middle_name", "position", "roles_label", "dismissal_date")
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ("last_name", "first_name", "middle_name")
    form_columns = ("role_codes",)
    list_loader_options = (joinedload(Staff.position),)
    column_descriptions = StaffView.column_descriptions


class FamilyLinksMixin:
    """Student and parent cards: the links between them obey services/people.check_family_links."""

    def on_model_change(self, form, model, is_created):
        people.check_family_links(self.actor, model)  # first: judged before anything flushes the links
        super().on_model_change(form, model, is_created)


class StudentView(FamilyLinksMixin, LoginActionsMixin, SecureModelView):
    view_key = "student"
    card_reads_logged = True
    column_list = ("last_name", "first_name", "middle_name", "klass", "birth_date",
                   "personal_file_number", "status", "account")
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ("last_name", "first_name", "middle_name", "snils", "personal_file_number")
    column_filters = ("klass.name", "status", "sex", "birth_date", "enrollment_order_date")
    column_choices = {"sex": SEXES, "status": StudentStatus.choices()}
    form_choices = {"sex": SEXES, "status": StudentStatus.choices(), "foreign_language": LANGUAGES}
    form_columns = (
        "last_name", "first_name", "middle_name", "sex", "birth_date", "snils", "klass",
        "enrollment_order_number", "enrollment_order_date", "personal_file_number", "status",
        "address", "birth_certificate_series", "birth_certificate_number", "birth_certificate_date",
        "passport_series", "passport_number", "passport_date", "passport_issued_by",
        "parents", "family_composition", "social_status", "foreign_language")
    form_create_rules = form_edit_rules = (
        rules.Header("Основные сведения"),
        "last_name", "first_name", "middle_name", "sex", "birth_date", "snils",
        rules.Header("Зачисление"),
        "klass", "enrollment_order_number", "enrollment_order_date", "personal_file_number", "status",
        rules.Header("Документы"),
        "birth_certificate_series", "birth_certificate_number", "birth_certificate_date",
        "passport_series", "passport_number", "passport_date", "passport_issued_by",
        rules.Header("Семья, адрес, социальный статус"),
        "parents", "address", "family_composition", "social_status", "foreign_language",
    )
    form_args = {"status": {"default": StudentStatus.STUDYING.value}}
    choice_filters = {"klass": _classes_for, "parents": reachable("parent", Parent)}
    column_formatters = {**StaffFunctionsMixin.column_formatters, "account": account_status}
    list_loader_options = (joinedload(Student.klass), joinedload(Student.user))
    column_descriptions = {"snils": "11 цифр, проверяется контрольная сумма",
                           "passport_series": "Обязателен с 14 лет",
                           "klass": "После сохранения карточки класс меняется только приказом книги движения",
                           "status": "После сохранения карточки статус меняется только приказом книги движения"}
    column_export_list = ("last_name", "first_name", "middle_name", "sex", "birth_date", "klass",
                          "personal_file_number", "snils", "status", "enrollment_order_number",
                          "enrollment_order_date", "address", "social_status", "foreign_language")

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        if permissions.allowed(self.actor, "student_diary", "details"):
            actions.append(EndpointLinkRowAction("fa fa-book", "diary.week", title="Дневник", id_arg="student_id"))
        return actions

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if not is_created:  # the class is guarded on flush (services/movement/guards.py), the status here
            movement_guards.check_card_status_change(model)


class ParentView(FamilyLinksMixin, LoginActionsMixin, SecureModelView):
    view_key = "parent"
    card_reads_logged = True
    column_list = ("last_name", "first_name", "middle_name", "relation", "phone", "email", "children",
                   "account")
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ("last_name", "first_name", "middle_name", "phone", "email")
    column_choices = {"relation": ParentRelation.choices()}
    form_choices = {"relation": ParentRelation.choices()}
    form_columns = ("last_name", "first_name", "middle_name", "relation", "children", "phone", "email",
                    "address", "workplace")
    choice_filters = {"children": reachable("student", Student)}
    column_formatters = {"account": account_status,
                         "children": lambda v, c, m, n: ", ".join(s.short_name for s in m.children)}
    list_loader_options = (joinedload(Parent.user),)  # children: Flask-Admin joins list relations itself
    column_export_list = ("last_name", "first_name", "middle_name", "relation", "phone", "email",
                          "address")


class SchoolClassView(YearTransferActionMixin, SecureModelView):
    view_key = "school_class"
    column_list = ("name", "grade", "year", "profile", "class_teacher", "student_count", "department",
                   "specialty")
    college_only = ("department", "specialty")
    column_default_sort = [("grade", False), ("name", False)]
    column_searchable_list = ("name",)
    column_filters = ("year.name", "grade")
    form_columns = ("year", "grade", "name", "profile", "class_teacher", "max_students", "department",
                    "specialty")
    choice_filters = {"year": open_years,
                      "class_teacher": lambda actor: Staff.dismissal_date.is_(None)}
    list_loader_options = (joinedload(SchoolClass.year), joinedload(SchoolClass.class_teacher),
                           joinedload(SchoolClass.department), joinedload(SchoolClass.specialty))
    column_descriptions = {"name": "Например, 5А или ТМ-21"}


class UserView(AccountActionsMixin, SecureModelView):
    view_key = "user"
    column_list = ("login", "display_name", "is_blocked", "must_change_password", "last_login_at",
                   "created_at")
    column_details_list = column_list
    column_default_sort = "login"
    column_searchable_list = ("login", "display_name")
    column_filters = ("is_blocked", "must_change_password", "last_login_at")
