"""The builder's whitelist: per entity, the rows it reads (the permission table's row filters of its own key)
and its columns — each a SQL expression on the entity's row (a related one as a correlated subquery, a
one-to-many one aggregated in SQL), its kind (which filters and aggregates fit it) and what it needs of the
table. Personal data (СНИЛС, documents, addresses, health) needs the card key's "export" verb: only those
who may export the cards read them in bulk. Nothing the user sends becomes SQL but a choice of these."""
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Integer, case, cast, func, select

from models import (AcademicYear, Attendance, AttendanceCode, Lesson, Mark, MovementItem,
                    MovementKind, MovementOrder, OrderStatus, Parent, ParentRelation, Period, PeriodMark,
                    PeriodMarkKind, Position, Role, SchoolClass, Staff, StaffRole, Student, StudentStatus, Subject,
                    Task, TaskType, TeachingAssignment, student_parent)
from models.dialect import joined_text
from models.enums import HealthGroup, YesNo
from services import permissions

TEXT, NUMBER, DATE, CHOICE, BOOL, CLASS_ON = "text", "number", "date", "choice", "bool", "class_on"
SEXES = (("m", "мужской"), ("f", "женский"))


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str
    expr: Callable  # () -> SQL expression on the entity's row
    needs: tuple = ()  # (key, verb) of the permission table, besides the entity's own ("list")
    choices: tuple = ()  # (code, label) of a choice column
    many: bool = False  # the values of related rows joined in one cell
    shown: bool = True  # False: a filter only («в классе на дату»)
    scoped: bool = False  # `expr(actor)`: its related rows limited by their own key's row filter

    def sql(self, actor):
        """The column's SQL expression for the actor's report."""
        return self.expr(actor) if self.scoped else self.expr()

    def label_of(self, value):
        if self.kind == CHOICE and value is not None:
            return dict(self.choices).get(value, value)
        return value


@dataclass(frozen=True)
class Entity:
    key: str
    label: str
    view_key: str  # the permission table's key whose rows the entity reads
    model: type
    rows: Callable  # actor -> condition on `model`, through the view key's row filter
    columns: dict = field(default_factory=dict)
    default: tuple = ()  # columns of a new report
    order: tuple = ()  # the rows' order when none is chosen (column keys)
    names_people: bool = True  # a read of personal data (the access log)

    def column(self, key):
        return self.columns.get(key)


def _cols(*columns):
    return {c.key: c for c in columns}


def _scalar(query):
    return query.scalar_subquery()


def _person_name(model):
    return func.trim(model.last_name + " " + model.first_name + " " + func.coalesce(model.middle_name, ""))


def _class_of_student(attr):
    return lambda: _scalar(select(getattr(SchoolClass, attr)).where(SchoolClass.id == Student.class_id))


def _parents_of_student(value):
    """The student's parents' values in one cell: only the parents the actor reads (the "parent" key's rows)."""
    return lambda actor: _scalar(select(joined_text(value())).select_from(student_parent).join(
        Parent, Parent.id == student_parent.c.parent_id).where(
        student_parent.c.student_id == Student.id, permissions.row_condition(actor, "parent", "list", Parent)))


def _personal(key):
    return ((key, "export"),)


def _table_rows(view_key, model):
    return lambda actor: permissions.row_condition(actor, view_key, "list", model)


def _journal_assignments(actor):
    return select(TeachingAssignment.id).where(
        permissions.row_condition(actor, "journal", "list", TeachingAssignment))


# -- students -----------------------------------------------------------------------------------------------
def _student_columns():
    personal = _personal("student")
    return _cols(
        Column("last_name", "Фамилия", TEXT, lambda: Student.last_name),
        Column("first_name", "Имя", TEXT, lambda: Student.first_name),
        Column("middle_name", "Отчество", TEXT, lambda: Student.middle_name),
        Column("full_name", "ФИО", TEXT, lambda: _person_name(Student)),
        Column("sex", "Пол", CHOICE, lambda: Student.sex, choices=SEXES),
        Column("birth_date", "Дата рождения", DATE, lambda: Student.birth_date),
        Column("class_name", "Класс", TEXT, _class_of_student("name")),
        Column("grade", "Параллель", NUMBER, _class_of_student("grade")),
        Column("status", "Статус", CHOICE, lambda: Student.status, choices=tuple(StudentStatus.choices())),
        Column("personal_file_number", "№ личного дела", TEXT, lambda: Student.personal_file_number),
        Column("enrollment_order_date", "Дата приказа о зачислении", DATE, lambda: Student.enrollment_order_date),
        Column("foreign_language", "Иностранный язык", TEXT, lambda: Student.foreign_language),
        Column("parents", "Родители", TEXT, _parents_of_student(lambda: _person_name(Parent)), many=True,
               needs=(("parent", "list"),), scoped=True),
        Column("parent_phones", "Телефоны родителей", TEXT, _parents_of_student(lambda: Parent.phone), many=True,
               needs=(("parent", "list"),), scoped=True),
        Column("parent_emails", "Эл. почта родителей", TEXT, _parents_of_student(lambda: Parent.email), many=True,
               needs=(("parent", "list"),), scoped=True),
        Column("snils", "СНИЛС", TEXT, lambda: Student.snils, needs=personal),
        Column("address", "Адрес проживания", TEXT, lambda: Student.address, needs=personal),
        Column("registration_address", "Адрес регистрации", TEXT, lambda: Student.registration_address,
               needs=personal),
        Column("passport", "Паспорт", TEXT, lambda: func.trim(func.coalesce(Student.passport_series, "") + " "
                                                              + func.coalesce(Student.passport_number, "")),
               needs=personal),
        Column("birth_certificate", "Свидетельство о рождении", TEXT,
               lambda: func.trim(func.coalesce(Student.birth_certificate_series, "") + " "
                                 + func.coalesce(Student.birth_certificate_number, "")), needs=personal),
        Column("health_group", "Группа здоровья", CHOICE, lambda: Student.health_group,
               choices=tuple(HealthGroup.choices()), needs=personal),
        Column("ovz", "ОВЗ", CHOICE, lambda: Student.ovz, choices=tuple(YesNo.choices()), needs=personal),
        Column("disability", "Инвалидность", CHOICE, lambda: Student.disability, choices=tuple(YesNo.choices()),
               needs=personal),
        Column("class_on", "В классе на дату", CLASS_ON, lambda: Student.id, shown=False),
    )


# -- parents ------------------------------------------------------------------------------------------------
def _children_of_parent(value):
    """The parent's children's values in one cell: only the students the actor reads (the "student" key's rows)."""
    return lambda actor: _scalar(select(joined_text(value())).select_from(student_parent).join(
        Student, Student.id == student_parent.c.student_id).where(
        student_parent.c.parent_id == Parent.id, permissions.row_condition(actor, "student", "list", Student)))


def _parent_columns():
    return _cols(
        Column("last_name", "Фамилия", TEXT, lambda: Parent.last_name),
        Column("first_name", "Имя", TEXT, lambda: Parent.first_name),
        Column("middle_name", "Отчество", TEXT, lambda: Parent.middle_name),
        Column("full_name", "ФИО", TEXT, lambda: _person_name(Parent)),
        Column("relation", "Кем приходится", CHOICE, lambda: Parent.relation,
               choices=tuple(ParentRelation.choices())),
        Column("phone", "Телефон", TEXT, lambda: Parent.phone),
        Column("email", "Эл. почта", TEXT, lambda: Parent.email),
        Column("workplace", "Место работы", TEXT, lambda: Parent.workplace, needs=_personal("parent")),
        Column("address", "Адрес", TEXT, lambda: Parent.address, needs=_personal("parent")),
        Column("children", "Дети", TEXT, _children_of_parent(lambda: _person_name(Student)), many=True,
               needs=(("student", "list"),), scoped=True),
        Column("children_classes", "Классы детей", TEXT, lambda actor: _scalar(
            select(joined_text(SchoolClass.name)).select_from(student_parent).join(
                Student, Student.id == student_parent.c.student_id).join(
                SchoolClass, SchoolClass.id == Student.class_id).where(
                student_parent.c.parent_id == Parent.id, permissions.row_condition(actor, "student", "list", Student))),
            many=True, needs=(("student", "list"),), scoped=True),
    )


# -- staff --------------------------------------------------------------------------------------------------
def _staff_columns():
    personal = _personal("staff")
    return _cols(
        Column("last_name", "Фамилия", TEXT, lambda: Staff.last_name),
        Column("first_name", "Имя", TEXT, lambda: Staff.first_name),
        Column("middle_name", "Отчество", TEXT, lambda: Staff.middle_name),
        Column("full_name", "ФИО", TEXT, lambda: _person_name(Staff)),
        Column("sex", "Пол", CHOICE, lambda: Staff.sex, choices=SEXES),
        Column("position", "Должность", TEXT,
               lambda: _scalar(select(Position.name).where(Position.id == Staff.position_id))),
        Column("functions", "Функции", TEXT, lambda: _scalar(select(joined_text(case(
            *((StaffRole.role == code, label) for code, label in Role.choices()), else_=StaffRole.role))).where(
            StaffRole.staff_id == Staff.id)), many=True),
        Column("led_classes", "Классное руководство", TEXT, lambda: _scalar(select(joined_text(SchoolClass.name))
                                                                            .where(SchoolClass.class_teacher_id
                                                                                   == Staff.id)), many=True),
        Column("qualification_category", "Квалификационная категория", TEXT,
               lambda: Staff.qualification_category),
        Column("hire_date", "Дата приёма", DATE, lambda: Staff.hire_date),
        Column("dismissal_date", "Дата увольнения", DATE, lambda: Staff.dismissal_date),
        Column("phone", "Телефон", TEXT, lambda: Staff.phone),
        Column("email", "Эл. почта", TEXT, lambda: Staff.email),
        Column("birth_date", "Дата рождения", DATE, lambda: Staff.birth_date, needs=personal),
        Column("snils", "СНИЛС", TEXT, lambda: Staff.snils, needs=personal),
    )


# -- classes ------------------------------------------------------------------------------------------------
def _class_columns():
    return _cols(
        Column("name", "Класс", TEXT, lambda: SchoolClass.name),
        Column("grade", "Параллель", NUMBER, lambda: SchoolClass.grade),
        Column("year", "Учебный год", TEXT,
               lambda: _scalar(select(AcademicYear.name).where(AcademicYear.id == SchoolClass.year_id))),
        Column("profile", "Профиль", TEXT, lambda: SchoolClass.profile),
        Column("class_teacher", "Классный руководитель", TEXT, lambda: _scalar(
            select(_person_name(Staff)).where(Staff.id == SchoolClass.class_teacher_id))),
        Column("students", "Обучается", NUMBER, lambda: _scalar(select(func.count(Student.id)).where(
            Student.class_id == SchoolClass.id, Student.status == StudentStatus.STUDYING.value))),
        Column("max_students", "Предельная наполняемость", NUMBER, lambda: SchoolClass.max_students),
    )


# -- journal entries: marks, attendance, lessons ------------------------------------------------------------
def _lesson_columns(path):
    """The columns of an entry's lesson. `path(query)`: the query joined from the entry's row to its Lesson and
    TeachingAssignment and correlated to it (one level of subquery: every related table is joined in it)."""
    def lesson(value):
        return lambda: _scalar(path(select(value)))

    teacher = Staff.id == func.coalesce(Lesson.teacher_id, TeachingAssignment.teacher_id)
    return [
        Column("lesson_date", "Дата урока", DATE, lesson(Lesson.date)),
        Column("lesson_number", "Урок №", NUMBER, lesson(Lesson.number)),
        Column("subject", "Предмет", TEXT, lambda: _scalar(path(select(Subject.name)).join(
            Subject, Subject.id == TeachingAssignment.subject_id))),
        Column("lesson_class", "Класс", TEXT, lambda: _scalar(path(select(SchoolClass.name)).join(
            SchoolClass, SchoolClass.id == TeachingAssignment.class_id))),
        Column("teacher", "Учитель", TEXT, lambda: _scalar(path(select(_person_name(Staff))).join(Staff, teacher))),
        Column("topic", "Тема урока", TEXT, lesson(Lesson.topic)),
    ]


def _from_mark(query):
    return query.select_from(Task).join(Lesson, Lesson.id == Task.lesson_id).join(
        TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id).where(Task.id == Mark.task_id)


def _from_attendance(query):
    return query.select_from(Lesson).join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id).where(
        Lesson.id == Attendance.lesson_id)


def _from_lesson(query):
    """The lesson entity's own row: Lesson is the outer row, the assignment an aliased join of it."""
    return query.select_from(TeachingAssignment).where(TeachingAssignment.id == Lesson.assignment_id)


def _student_of(student_id):
    needs = (("student", "list"),)
    return [
        Column("student", "Ученик", TEXT, lambda: _scalar(select(_person_name(Student)).where(
            Student.id == student_id())), needs=needs),
        Column("student_class", "Класс ученика (сейчас)", TEXT, lambda: _scalar(
            select(SchoolClass.name).select_from(Student).join(SchoolClass, SchoolClass.id == Student.class_id)
            .where(Student.id == student_id())), needs=needs),
    ]


MARK_DIGITS = ("1", "2", "3", "4", "5")


def _mark_columns():
    return _cols(
        *_student_of(lambda: Mark.student_id),
        *_lesson_columns(_from_mark),
        Column("value", "Отметка", TEXT, lambda: Mark.value),
        Column("number", "Отметка (число)", NUMBER,
               lambda: case((Mark.value.in_(MARK_DIGITS), cast(Mark.value, Integer)), else_=None)),
        Column("task_type", "Вид работы", TEXT, lambda: _scalar(select(TaskType.name).select_from(Task).join(
            TaskType, TaskType.id == Task.type_id).where(Task.id == Mark.task_id))),
        Column("weight", "Вес", NUMBER, lambda: _scalar(select(Task.weight).where(Task.id == Mark.task_id))),
        Column("comment", "Комментарий", TEXT, lambda: Mark.comment),
    )


def _attendance_columns():
    code = lambda column: lambda: _scalar(select(column).where(AttendanceCode.id == Attendance.code_id))  # noqa
    return _cols(
        *_student_of(lambda: Attendance.student_id),
        *_lesson_columns(_from_attendance),
        Column("code", "Отметка посещаемости", TEXT, code(AttendanceCode.code)),
        Column("code_name", "Пропуск", TEXT, code(AttendanceCode.name)),
        Column("reason_note", "Документ (причина)", TEXT, lambda: Attendance.reason_note),
    )


def _lesson_entity_columns():
    return _cols(
        *_lesson_columns(_from_lesson),
        Column("homework", "Домашнее задание", TEXT, lambda: Lesson.homework),
        Column("is_cancelled", "Отменён", BOOL, lambda: Lesson.is_cancelled),
        Column("attendance_taken", "Посещаемость отмечена", BOOL, lambda: Lesson.attendance_taken),
        Column("marks", "Отметок", NUMBER, lambda: _scalar(select(func.count(Mark.id)).select_from(Task).join(
            Mark, Mark.task_id == Task.id).where(Task.lesson_id == Lesson.id))),
    )


def _period_mark_columns():
    return _cols(
        *_student_of(lambda: PeriodMark.student_id),
        Column("subject", "Предмет", TEXT,
               lambda: _scalar(select(Subject.name).where(Subject.id == PeriodMark.subject_id))),
        Column("year", "Учебный год", TEXT,
               lambda: _scalar(select(AcademicYear.name).where(AcademicYear.id == PeriodMark.year_id))),
        Column("kind", "Вид", CHOICE, lambda: PeriodMark.kind, choices=tuple(PeriodMarkKind.choices())),
        Column("period", "Период", TEXT, lambda: _scalar(select(Period.name).where(Period.id == PeriodMark.period_id))),
        Column("value", "Отметка", TEXT, lambda: PeriodMark.value),
        Column("number", "Отметка (число)", NUMBER,
               lambda: case((PeriodMark.value.in_(MARK_DIGITS), cast(PeriodMark.value, Integer)), else_=None)),
    )


def _order_columns():
    return _cols(
        Column("number", "Номер приказа", TEXT, lambda: MovementOrder.number),
        Column("order_date", "Дата приказа", DATE, lambda: MovementOrder.order_date),
        Column("effective_date", "Дата вступления в силу", DATE, lambda: MovementOrder.effective_date),
        Column("kind", "Вид приказа", CHOICE, lambda: MovementOrder.kind, choices=tuple(MovementKind.choices())),
        Column("status", "Состояние", CHOICE, lambda: MovementOrder.status, choices=tuple(OrderStatus.choices())),
        Column("note", "Примечание", TEXT, lambda: MovementOrder.note),
        Column("students_count", "Учеников в приказе", NUMBER, lambda: _scalar(
            select(func.count(MovementItem.id)).where(MovementItem.order_id == MovementOrder.id))),
        Column("students", "Ученики", TEXT, lambda actor: _scalar(
            select(joined_text(_person_name(Student))).select_from(MovementItem).join(
                Student, Student.id == MovementItem.student_id).where(
                MovementItem.order_id == MovementOrder.id,
                permissions.row_condition(actor, "student", "list", Student))),
            many=True, needs=(("student", "list"),), scoped=True),
    )


def _marks_rows(actor):
    return Mark.task_id.in_(select(Task.id).join(Lesson, Lesson.id == Task.lesson_id).where(
        Lesson.assignment_id.in_(_journal_assignments(actor))))


def _attendance_rows(actor):
    return Attendance.lesson_id.in_(select(Lesson.id).where(Lesson.assignment_id.in_(_journal_assignments(actor))))


def _lesson_rows(actor):
    return Lesson.assignment_id.in_(_journal_assignments(actor))


def _period_mark_rows(actor):
    return PeriodMark.student_id.in_(select(Student.id).where(
        permissions.row_condition(actor, "student", "list", Student)))


def _entities():
    return {e.key: e for e in (
        Entity("students", "Ученики", "student", Student, _table_rows("student", Student), _student_columns(),
               default=("full_name", "class_name", "birth_date"), order=("class_name", "full_name")),
        Entity("parents", "Родители", "parent", Parent, _table_rows("parent", Parent), _parent_columns(),
               default=("full_name", "phone", "children"), order=("full_name",)),
        Entity("staff", "Сотрудники", "staff", Staff, _table_rows("staff", Staff), _staff_columns(),
               default=("full_name", "position", "phone"), order=("full_name",)),
        Entity("classes", "Классы", "school_class", SchoolClass, _table_rows("school_class", SchoolClass),
               _class_columns(), default=("name", "class_teacher", "students"), order=("grade", "name"),
               names_people=False),
        Entity("marks", "Отметки", "journal", Mark, _marks_rows, _mark_columns(),
               default=("student", "subject", "lesson_date", "value"), order=("lesson_date", "student")),
        Entity("period_marks", "Отметки за период", "student", PeriodMark, _period_mark_rows,
               _period_mark_columns(), default=("student", "subject", "period", "value"),
               order=("student", "subject")),
        Entity("attendance", "Посещаемость", "journal", Attendance, _attendance_rows, _attendance_columns(),
               default=("student", "lesson_date", "subject", "code"), order=("lesson_date", "student")),
        Entity("lessons", "Уроки", "journal", Lesson, _lesson_rows, _lesson_entity_columns(),
               default=("lesson_date", "lesson_class", "subject", "teacher", "topic"),
               order=("lesson_date", "lesson_number"), names_people=False),
        Entity("orders", "Приказы книги движения", "movement_order", MovementOrder,
               _table_rows("movement_order", MovementOrder), _order_columns(),
               default=("number", "order_date", "kind", "students"), order=("order_date", "number")),
    )}


ENTITIES = _entities()


def entities_for(actor):
    """The entities the actor may read (his roles' grants of their keys), in the catalogue's order."""
    return [e for e in ENTITIES.values() if permissions.allowed(actor, e.view_key, "list")]


def readable(actor, entity, column):
    """May the actor read the column: the entity's key and each key the column needs."""
    return permissions.allowed(actor, entity.view_key, "list") and all(
        permissions.allowed(actor, key, verb) for key, verb in column.needs)


def columns_for(actor, entity):
    """The entity's columns offered to the actor (never one he may not read)."""
    return [c for c in entity.columns.values() if readable(actor, entity, c)]

