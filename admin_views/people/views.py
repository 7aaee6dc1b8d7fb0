"""Person cards: staff, students, parents, classes; the accounts list."""
from flask import flash, g, has_request_context
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.form import Select2Field, rules
from flask_admin.model.template import EndpointLinkRowAction
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import fields
from wtforms.validators import InputRequired, StopValidation

from models import (STAFF_ROLES, AcademicYear, Parent, ParentRelation, SchoolClass, Sex, Staff, Student,
                    StudentStatus, User, db, student_parent)
from services import dates, params, permissions  # people also registers the card validators
from services.terms import KindPhrase, for_kind, kind_phrase
from services.people import cards as people
from services.people import contingent
from services.movement import admission, enrollment, guards as movement_guards

from admin_views.movement.views import YearTransferActionMixin
from admin_views.base import (AccountActionsMixin, LoginActionsMixin, SecureModelView, account_status, open_years,
                              reachable)

SEXES = Sex.choices()
QUALIFICATION = [("", "—"), ("высшая", "Высшая"), ("первая", "Первая"),
                 ("соответствие", "Соответствие занимаемой должности"), ("без категории", "Без категории")]
LANGUAGES = [("", "—"), ("Английский", "Английский"), ("Немецкий", "Немецкий"),
             ("Французский", "Французский"), ("Испанский", "Испанский"), ("Китайский", "Китайский")]

class ChosenField(Select2Field):
    """A required choice that starts empty: nothing is chosen for the user (no silent «Мужской»)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.update(allow_blank=True, blank_text="— выберите —")
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            raise StopValidation(self.gettext("This field is required."))
        super().pre_validate(form)


class MarkedRequired(InputRequired):
    """Marks a field required in the form (its asterisk); the rule itself is the service's, with its message."""

    def __call__(self, form, field):
        pass


def _parent_label(parent):
    """A parent among the choices, found by his name or phone."""
    return ", ".join(p for p in (parent.full_name, parent.phone) if p)


# New parents typed in the student's form («Ученики → Создать»): two blocks of these fields.
NEW_PARENTS = (1, 2)
NEW_PARENT_FIELDS = (("last_name", "Фамилия"), ("first_name", "Имя"), ("middle_name", "Отчество"),
                     ("relation", "Кем приходится"), ("phone", "Телефон"), ("email", "Электронная почта"))


def _new_parent_field(name, label):
    if name == "relation":
        return fields.SelectField(label, choices=[("", "—"), *ParentRelation.choices()], default="")
    return fields.StringField(label, filters=[lambda v: v.strip() if isinstance(v, str) else v])


def _new_parent_rules():
    made = []
    for n in NEW_PARENTS:
        made.append(rules.Header(f"Новый родитель {n} — если его нет в списке выше"))
        made += [f"parent{n}_{name}" for name, _ in NEW_PARENT_FIELDS]
    return made


class _ClassOptions:
    """The choices of a class filter, read each time a list is shown (Flask-Admin reads a filter's options once,
    at start-up, and iterates them per page): the classes of the actor's organization he may see, the open
    years' first, labelled with the year when there are several."""

    def __bool__(self):
        return True

    def __iter__(self):
        actor = g.get("actor") if has_request_context() else None
        if actor is None or actor.org_id is None or not permissions.allowed(actor, "school_class", "list"):
            return iter(())
        rows = db.session.execute(
            select(SchoolClass.id, SchoolClass.name, AcademicYear.name)
            .join(AcademicYear, AcademicYear.id == SchoolClass.year_id)
            .where(SchoolClass.org_id == actor.org_id,
                   permissions.row_condition(actor, "school_class", "list", SchoolClass))
            .order_by(AcademicYear.is_closed, AcademicYear.start_date.desc(), SchoolClass.grade, SchoolClass.name)
        ).all()
        several = len({year for _, _, year in rows}) > 1
        return iter([(str(pk), f"{name} ({year})" if several else name) for pk, name, year in rows])


def _students_of(class_id):
    """Students (ids) of a class of the actor's organization."""
    return select(Student.id).where(Student.class_id == class_id, Student.org_id == g.actor.org_id)


class ClassFilter(BaseSQLAFilter):
    """«Класс (группа)» on a list of people, chosen from the classes (a student's class is his card's; a parent's,
    his children's; an account's, that of the student or parent cards it opens). It narrows the view's rows,
    already limited by the permission table (SecureModelView.get_query)."""

    NAME = KindPhrase("Класс")  # «Группа» in a college, resolved when the list is rendered

    def __init__(self, model, condition):
        super().__init__(model.id, self.NAME, options=_ClassOptions())
        self.condition = condition

    def operation(self):
        return "равно"

    def clean(self, value):
        class_id = params.parse_id(value)
        if class_id is None:
            raise ValueError("not a class id")  # Flask-Admin leaves the filter out
        return class_id

    def apply(self, query, value, alias=None):
        return query.filter(self.condition(value))


def _parents_of(class_id):
    return select(student_parent.c.parent_id).where(student_parent.c.student_id.in_(_students_of(class_id)))


STUDENTS_BY_CLASS = ClassFilter(Student, lambda class_id: Student.id.in_(_students_of(class_id)))
PARENTS_BY_CLASS = ClassFilter(Parent, lambda class_id: Parent.id.in_(_parents_of(class_id)))
ACCOUNTS_BY_CLASS = ClassFilter(User, lambda class_id: or_(
    User.id.in_(select(Student.user_id).where(Student.id.in_(_students_of(class_id)), Student.user_id.is_not(None))),
    User.id.in_(select(Parent.user_id).where(Parent.id.in_(_parents_of(class_id)), Parent.user_id.is_not(None)))))


def _classes_for(actor):
    """HR and the administrator place a student in any open class; a class teacher only in his own."""
    if permissions.allowed(actor, "student", "any_class"):
        return SchoolClass.year.has(AcademicYear.is_closed.is_(False))
    return SchoolClass.id.in_(actor.own_class_ids)


# The federal contingent register's data (services/people/contingent.py, docs/CONTINGENT.md).
CONTINGENT_RULES = (
    rules.Header("Для ФИС «Контингент»: гражданство, адреса, здоровье, обучение"),
    "citizenship", "citizenship_country", "birth_place", "registration_address",
    "health_group", "disability", "disability_category", "disability_until", "ovz", "adapted_program",
    "study_form", "funding",
    rules.Header("Документ о предыдущем образовании"),
    "previous_doc_kind", "previous_doc_series", "previous_doc_number", "previous_doc_date",
    "previous_doc_issued_by",
)
CONTINGENT_FIELDS = tuple(r for r in CONTINGENT_RULES if isinstance(r, str))


def _coded(words):
    """A coded column shown by its words (empty when not filled)."""
    return lambda view, context, model, name: words.get(getattr(model, name), getattr(model, name) or "")


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
    column_filters = ("klass.name", "status", "sex", "birth_date", "enrollment_order_date", STUDENTS_BY_CLASS)
    column_choices = {"sex": SEXES, "status": StudentStatus.choices()}
    form_choices = {"sex": SEXES, "status": StudentStatus.choices(), "foreign_language": LANGUAGES,
                    **contingent.choices()}
    form_columns = (
        "last_name", "first_name", "middle_name", "sex", "birth_date", "snils", "klass",
        "enrollment_order_number", "enrollment_order_date", "personal_file_number", "status",
        "address", "birth_certificate_series", "birth_certificate_number", "birth_certificate_date",
        "passport_series", "passport_number", "passport_date", "passport_issued_by",
        "parents", "family_composition", "social_status", "foreign_language", *CONTINGENT_FIELDS)
    form_edit_rules = (
        rules.Header("Основные сведения"),
        "last_name", "first_name", "middle_name", "sex", "birth_date", "snils",
        rules.Header("Зачисление"),
        "klass", "enrollment_order_number", "enrollment_order_date", "personal_file_number", "status",
        rules.Header("Документы"),
        "birth_certificate_series", "birth_certificate_number", "birth_certificate_date",
        "passport_series", "passport_number", "passport_date", "passport_issued_by",
        rules.Header("Семья, адрес, социальный статус"),
        "parents", "address", "family_composition", "social_status", "foreign_language",
        *CONTINGENT_RULES,
    )
    # A new card is an enrollment order of the movement book, applied (services/movement/admission.py),
    # with the child's parents: found among the cards, or typed here.
    form_create_rules = (
        rules.Header("Основные сведения"),
        "last_name", "first_name", "middle_name", "sex", "birth_date", "snils",
        rules.Header("Зачисление (приказ книги движения)"),
        "klass", "enrollment_order_number", "enrollment_order_date", "personal_file_number",
        rules.Header("Документы"),
        "birth_certificate_series", "birth_certificate_number", "birth_certificate_date",
        "passport_series", "passport_number", "passport_date", "passport_issued_by",
        rules.Header("Семья, адрес, социальный статус"),
        "address", "family_composition", "social_status", "foreign_language",
        *CONTINGENT_RULES,
        rules.Header("Родители (законные представители)"),
        "parents", *_new_parent_rules(),
    )
    form_overrides = {"sex": ChosenField}
    form_args = {"status": {"default": StudentStatus.STUDYING.value},
                 "sex": {"choices": SEXES},
                 "klass": {"validators": [MarkedRequired()]},
                 "parents": {"get_label": _parent_label}}
    choice_filters = {"klass": _classes_for, "parents": reachable("parent", Parent)}
    column_formatters = {**StaffFunctionsMixin.column_formatters, "account": account_status,
                         **{name: _coded(words) for name, words in Student.__value_labels__.items()}}
    list_loader_options = (joinedload(Student.klass), joinedload(Student.user))
    column_descriptions = {"snils": "11 цифр, проверяется контрольная сумма",
                           "passport_series": "Обязателен с 14 лет",
                           "passport_date": "Не раньше 14-летия",
                           "address": "Где обучающийся живёт фактически",
                           "registration_address": "Адрес регистрации по месту жительства (пребывания)",
                           "citizenship_country": "Только для иностранного гражданства",
                           "adapted_program": "Для обучающегося с ОВЗ: наименование АООП и вариант, например "
                                              "«АООП НОО для обучающихся с ТНР, вариант 5.1»",
                           "klass": "После сохранения карточки класс меняется только приказом книги движения",
                           "status": "После сохранения карточки статус меняется только приказом книги движения",
                           "enrollment_order_number": "Новая карточка — это приказ о зачислении в книге движения: "
                                                      "ученик добавляется в проведённый приказ с этим номером и "
                                                      "датой или в новый",
                           "parents": "Найдите родителя по фамилии или телефону; если его карточки нет — "
                                      "заполните блок «Новый родитель» ниже"}
    column_export_list = ("last_name", "first_name", "middle_name", "sex", "birth_date", "klass",
                          "personal_file_number", "snils", "status", "enrollment_order_number",
                          "enrollment_order_date", "address", "social_status", "foreign_language")

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        if permissions.allowed(self.actor, "student_diary", "details"):
            actions.append(EndpointLinkRowAction("fa fa-book", "diary.week", title="Дневник", id_arg="student_id"))
        return actions

    def get_create_form(self):
        form = super().get_create_form()
        extra = {f"parent{n}_{name}": _new_parent_field(name, label)
                 for n in NEW_PARENTS for name, label in NEW_PARENT_FIELDS}
        # The status of a new card is the order's («Обучается»).
        return type("StudentEnrollmentForm", (form,), {**extra, "status": None})

    def create_model(self, form):
        """The card is enrolled by an applied order of the movement book, its parents linked, in one step."""
        new_parents = [admission.NewParent(**{name: form[f"parent{n}_{name}"].data for name, _ in NEW_PARENT_FIELDS})
                       for n in NEW_PARENTS]
        try:
            student = admission.enroll_student(
                self.actor, {name: form[name].data for name in enrollment.CARD_KEYS if name in form},
                form.klass.data.id if form.klass.data is not None else None,
                form.enrollment_order_number.data, form.enrollment_order_date.data,
                parent_ids=[p.id for p in form.parents.data or ()], new_parents=new_parents)
        except Exception as exc:
            if not self.handle_view_exception(exc):
                raise
            return False
        flash(f"{student.full_name} зачислен(а) в «{student.klass.name}» приказом № "
              f"{student.enrollment_order_number} от {dates.format_date(student.enrollment_order_date)} "
              "(книга движения)",
              "success")
        self.after_model_change(form, student, True)
        return student

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
    column_filters = (PARENTS_BY_CLASS,)
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
    column_filters = ("is_blocked", "must_change_password", "last_login_at", ACCOUNTS_BY_CLASS)
