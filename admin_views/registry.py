"""The Flask-Admin instance and every registered view, by menu category."""
from pathlib import Path

import flask_admin
from flask_admin import Admin
from flask_admin import babel as flask_admin_babel
from flask_admin.theme import Bootstrap4Theme
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from models import (AccessLog, AcademicYear, AuditLog, CalendarDay, Department, Holiday, LoginEvent, Notification,
                    Organization, Parent, Period, Position, Room, SchoolClass, Specialty, Staff, Student, User)
from services.terms import KindText

from admin_views.audit import AccessLogView, AuditLogView, LoginEventView
from admin_views.home import HomeView
from admin_views.org.views import (AcademicYearView, CalendarDayView, DepartmentView, HolidayView,
                             OrganizationView, PeriodView, PositionView, RoomView, SpecialtyView)
from admin_views.people.views import ParentView, SchoolClassView, StaffFunctionView, StaffView, StudentView, UserView
from admin_views import archive, reports
from admin_views import jobs as jobs_page
from admin_views import notify
from admin_views.announcements import views as announcements
from admin_views.control import views as control
from admin_views.imports import views as data_import
from admin_views.messages import views as messages
from admin_views.journal import diary
from admin_views.journal import finals
from admin_views.journal import flags as mark_flags
from admin_views.journal import grid as journal
from admin_views.journal import lesson_files
from admin_views.learning import views as learning_materials
from admin_views.journal import dictionaries as journal_admin
from admin_views.journal import paper_reports
from admin_views.learning import quizzes as learning_quizzes
from admin_views.movement import views as movement
from admin_views.people import contingent
from admin_views.portfolio import views as portfolio
from admin_views.region import views as region
from admin_views.people import requests as data_requests
from admin_views.report_builder import views as report_builder
from admin_views.planning import views as planning
from admin_views.rollover import views as rollover
from admin_views.timetable import views as timetable

# Flask-Admin's own Russian catalogue, completed and reworded (its shipped one lacks many messages and says
# «50 элементы», «Добавить Фильтр», «Вы уверены что хотите удалить ?»). The compiled .mo is in the repository
# next to its .po (tests/test_russian_ui.py checks they agree): nothing is compiled at install.
TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "translations")
ORG = "Организация"
PEOPLE = "Люди"
ACCESS = "Доступ"


def model_views():
    """Every secure model view; the permission test walks this list."""
    return [
        OrganizationView(Organization, "Карточка организации", ORG, "organization", "/organizations"),
        AcademicYearView(AcademicYear, "Учебные годы", ORG, "academic_year", "/years"),
        PeriodView(Period, KindText("periods"), ORG, "period", "/periods"),
        HolidayView(Holiday, "Каникулы", ORG, "holiday", "/holidays"),
        CalendarDayView(CalendarDay, "Производственный календарь", ORG, "calendar_day", "/calendar"),
        RoomView(Room, "Аудитории", ORG, "room", "/rooms"),
        PositionView(Position, "Должности", ORG, "position", "/positions"),
        DepartmentView(Department, "Отделения", ORG, "department", "/departments"),
        SpecialtyView(Specialty, "Специальности", ORG, "specialty", "/specialties"),
        SchoolClassView(SchoolClass, KindText("classes"), PEOPLE, "school_class", "/classes"),
        StudentView(Student, KindText("students"), PEOPLE, "student", "/students"),
        ParentView(Parent, "Родители", PEOPLE, "parent", "/parents"),
        StaffView(Staff, "Сотрудники", PEOPLE, "staff", "/staff"),
        StaffFunctionView(Staff, "Функции сотрудников", ACCESS, "staff_function", "/staff-functions"),
        UserView(User, "Учётные записи", ACCESS, "user", "/accounts"),
        AuditLogView(AuditLog, "Журнал изменений", ACCESS, "audit_log", "/audit"),
        AccessLogView(AccessLog, "Журнал доступа", ACCESS, "access_log", "/access-log"),
        LoginEventView(LoginEvent, "Журнал входов", ACCESS, "login_event", "/logins"),
        notify.NotificationView(Notification, "Очередь уведомлений", ACCESS, "notification", "/notification-queue"),
        *planning.views(),
        *timetable.views(),
        *journal_admin.views(),
        *movement.views(),
        *control.views(),
        *portfolio.views(),
        *region.views(),
    ]


def pages():
    """Hand-made pages (grids, timetables) that are not model views."""
    return [*control.pages(), *journal.pages(), *lesson_files.pages(), *finals.pages(), *diary.pages(),
            *mark_flags.pages(), *planning.pages(), *timetable.pages(), *movement.pages(), *rollover.pages(),
            *reports.pages(), *archive.pages(), *notify.pages(), *jobs_page.pages(),
            *data_requests.pages(), *contingent.pages(), *messages.pages(),
            *announcements.pages(), *paper_reports.pages(), *data_import.pages(), *learning_materials.pages(),
            *report_builder.pages(), *learning_quizzes.pages(), *portfolio.pages(),
            *region.pages()]


def _catalogue_over_flask_admins():
    """Flask-Babel merges a domain's directories in order, each over the one before; Flask-Admin puts an
    Admin's `translations_path` first, so its own shipped wording won wherever both had a message (and the
    path was left out when a message was first translated outside a view). Ours goes last, always."""
    shipped = [path for path in flask_admin_babel.domain._translation_directories if path != TRANSLATIONS]
    flask_admin_babel.domain._translation_directories = [*shipped, TRANSLATIONS]
    flask_admin_babel.domain.cache.clear()


def init_admin(app, csp_nonce):
    theme = Bootstrap4Theme(base_template="layout.html", fluid=True)
    # templates/admin/ replaces the few macros of Flask-Admin that carry inline handlers; the rest of
    # those files stays Flask-Admin's, reachable as flask_admin/admin/...
    original = Path(flask_admin.__file__).resolve().parent / "templates" / theme.folder
    app.jinja_loader = ChoiceLoader([app.jinja_loader, PrefixLoader({"flask_admin": FileSystemLoader(original)})])
    _catalogue_over_flask_admins()
    admin = Admin(app, name="Электронный журнал", url="/",
                  index_view=HomeView(name="Главная", url="/", endpoint="admin"), theme=theme,
                  csp_nonce_generator=csp_nonce)
    for view in [*model_views(), *pages()]:
        admin.add_view(view)
    app.extensions["journal_admin"] = admin
    return admin
