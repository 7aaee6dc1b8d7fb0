"""The words of the interface (issue 15.7): Flask-Admin's messages in our wording, every column labelled in
Russian, the change log naming fields by their labels, the calendar's notes in Russian, a college's words,
times with hours and minutes, the favicon."""
import re
from gettext import GNUTranslations
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po
from flask import g
from flask_admin.babel import gettext as admin_gettext

from admin_views.audit import ENTITY_LABELS
from admin_views.base import SecureModelView
from models import AuditLog, CalendarDay, Holiday, Position, Role, db
from models.labels import field_label
from services import audit
from services.org.calendar import official_exceptions, russian_note, seed_official_calendar
from services.terms import college_words, for_kind
from tests.factories import actor_of, make_staff
from tests.helpers import action, flashes, open_browser, registered_views

CATALOGUE = Path(__file__).resolve().parent.parent / "translations" / "ru" / "LC_MESSAGES"
CYRILLIC = re.compile("[А-Яа-яЁё№]")


def test_the_committed_catalogue_is_compiled_from_its_po():
    """No compile step at install: the .mo in the repository is the .po's (pybabel compile -d translations -D
    admin -l ru after an edit)."""
    with open(CATALOGUE / "admin.po", "rb") as fh:
        po = [m for m in read_po(fh) if m.id]
    with open(CATALOGUE / "admin.mo", "rb") as fh:
        mo = GNUTranslations(fh)
    for message in po:
        if isinstance(message.id, str):
            assert mo.gettext(message.id) == message.string, message.id
        else:  # a plural: one, few, many
            for n, form in ((1, 0), (3, 1), (5, 2)):
                assert mo.ngettext(*message.id, n) == message.string[form], message.id
    assert len(po) > 100


def test_our_wording_wins_over_flask_admins(app, world, browser):
    b = open_browser(browser, "a.admin")
    page = b.get("/rooms/").get_data(as_text=True)
    for clumsy in ("элементы", "items", "Добавить Фильтр", "Вы уверены что", "С выбранным<"):
        assert clumsy not in page, clumsy
    assert "По 50 записей" in page and "По 20 записей на странице" in page
    with app.test_request_context():  # the catalogue's order holds outside a view too
        assert admin_gettext("Are you sure you want to delete selected records?") == "Удалить выбранные записи?"
        assert admin_gettext("items") == "записей" and admin_gettext("With selected") == "С выбранными"
    form = b.get("/rooms/new/").get_data(as_text=True)
    assert "Сохранить и создать ещё" in form and "добавить новый объект" not in form


def test_the_delete_action_says_what_it_did_and_never_that_it_deleted_nothing(world, browser):
    a = world.a
    hr = open_browser(browser, "a.hr")
    resp = action(hr, "/staff/action/", "delete", [a.director.id], follow_redirects=True)
    assert "не удалена" in flashes(resp) and "Удалено 0" not in flashes(resp) and "удалено 0" not in flashes(resp)
    spare = [make_staff(a.org, "Запасов", name, [Role.TEACHER.value]) for name in ("Иван", "Пётр")]
    db.session.commit()
    resp = action(open_browser(browser, "a.admin"), "/staff/action/", "delete", [s.id for s in spare],
                  follow_redirects=True)
    assert "Удалено 2 записи." in flashes(resp)


def test_every_column_of_every_list_card_and_export_has_a_russian_label(app):
    checked = 0
    for view in registered_views(app):
        if not isinstance(view, SecureModelView):
            continue
        for name, label in [*view._all_list_columns, *view._all_details_columns, *view._export_columns]:
            assert CYRILLIC.search(str(label)), (view.view_key, name, str(label))
            checked += 1
    assert checked > 200


def test_the_change_log_names_every_field_by_its_label(app, world, browser):
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if getattr(model, "__audited__", False):
            assert model.__tablename__ in ENTITY_LABELS, model.__tablename__
            for attr in mapper.column_attrs:
                if attr.key not in ("id", "org_id", "version"):
                    assert field_label(model, attr.key), (model.__tablename__, attr.key)
    a = world.a
    audit.set_context(a.admin.user_id, a.org.id, "10.0.0.1")
    a.teacher.last_name = "Учителёв"
    a.teacher.position = Position(org_id=a.org.id, name="Учитель математики")
    db.session.commit()
    audit.set_context()
    entry = db.session.scalars(db.select(AuditLog).where(AuditLog.entity == "staff")
                               .order_by(AuditLog.id.desc())).first()
    assert {"last_name", "position_id"} <= set(entry.changes)
    b = open_browser(browser, "a.admin")
    card = b.get(f"/audit/details/?id={entry.id}").get_data(as_text=True)
    assert "Фамилия" in card and "Должность" in card and "last_name" not in card and "position_id" not in card
    exported = b.get("/audit/export/csv/").get_data(as_text=True)
    assert "Фамилия: Учителев → Учителёв" in exported and "last_name" not in exported


def test_the_working_calendar_notes_are_russian(world, browser):
    a = world.a
    assert all(CYRILLIC.search(note) and "decree" not in note for _, _, note in official_exceptions())
    assert russian_note("2026: Government decree of 24.09.2025 No. 1466") == \
        "Постановление Правительства РФ от 24.09.2025 № 1466"
    assert russian_note("Своя причина") == "Своя причина"
    # A day seeded before the notes were Russian keeps its English note: shown in Russian.
    seed_official_calendar(a.org.id)
    day = db.session.scalar(db.select(CalendarDay).where(CalendarDay.org_id == a.org.id,
                                                         CalendarDay.day == date(2026, 11, 4)))
    day.note = "2026: Government decree of 24.09.2025 No. 1466"
    db.session.commit()
    b = open_browser(browser, "a.admin")
    page = b.get("/calendar/?page_size=100").get_data(as_text=True)
    assert "Постановление Правительства РФ от 24.09.2025 № 1466" in page
    assert "Government" not in page and "decree" not in page and "Saturday" not in page
    assert "Government" not in b.get(f"/calendar/edit/?id={day.id}").get_data(as_text=True)


def test_holidays_for_everyone_say_so(world, browser):
    a = world.a
    db.session.add(Holiday(org_id=a.org.id, year_id=a.year.id, name="Осенние каникулы", start_date=date(2026, 10, 26),
                           end_date=date(2026, 11, 3)))
    db.session.commit()
    b = open_browser(browser, "a.admin")
    page = b.get("/holidays/").get_data(as_text=True)
    assert "Осенние каникулы" in page and "для всех" in page and "None" not in page


def test_a_college_says_group_student_curator(app, world):
    assert college_words("Отчёт классного руководителя: весь класс, 5 учеников, учитель") == \
        "Отчёт куратора: вся группа, 5 студентов, преподаватель"
    assert college_words("Классному руководителю") == "Куратору"
    assert college_words("Классова Клара, Учителев") == "Классова Клара, Учителев"  # surnames stay
    college = world.b.org
    college.kind = "college"
    with app.test_request_context():
        g.actor = actor_of("b.admin")
        assert for_kind("Сводная по классу") == "Сводная по группе"
        g.actor = actor_of("a.admin")
        assert for_kind("Сводная по классу") == "Сводная по классу"
        # One compiled template serves both: `|kind` is never folded into it as the first page said it.
        template = app.jinja_env.from_string('{{ "Журнал класса"|kind }}')
        assert template.render() == "Журнал класса"
        g.actor = actor_of("b.admin")
        assert template.render() == "Журнал группы"


def test_the_college_menu_and_report_groups(world, browser):
    world.b.org.kind = "college"
    db.session.commit()
    home = open_browser(browser, "b.admin").get("/").get_data(as_text=True)
    assert "Сводная по группе" in home and "Движение студентов" in home
    assert "Сводная по классу" not in home and "Движение учащихся" not in home
    reports = open_browser(browser, "b.deputy").get("/reports/").get_data(as_text=True)
    assert "Куратору" in reports and "Классному руководителю" not in reports


def test_times_are_local_with_minutes_and_the_favicon(world, browser):
    b = open_browser(browser, "a.admin")
    page = b.get("/accounts/").get_data(as_text=True)
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", page)  # created_at: дд.мм.гггг чч:мм
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    login = open_browser(browser).get("/login").get_data(as_text=True)
    assert 'href="/static/favicon.svg"' in login
    icon = b.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<script" not in icon.get_data()
