"""services/dates.py: a date typed by a person, the organization's today in its time zone, a date and a
stored time shown; the Jinja filters on Flask-Babel; the one `current_year`; labels declared once on
the models."""
from datetime import date, datetime, time, timezone

from flask import g, render_template_string

from admin_views import formatting
from models import AcademicYear, Organization, SchoolClass, Student, db
from models.labels import labels_of
from services import clock, dates, params
from services.context import Actor
from services.org.years import current_year
from services.terms import KindText
from tests.conftest import TEST_TODAY
from tests.factories import make_org

# 20.11.2026 01:30 in Yekaterinburg (UTC+5), still 19.11.2026 23:30 in Moscow (UTC+3).
NEAR_MIDNIGHT = datetime(2026, 11, 19, 20, 30, tzinfo=timezone.utc)


def _org(zone, start_year=2026):
    org, _, _ = make_org("d", start_year=start_year)
    org.timezone = zone
    db.session.flush()
    return org


# -- reading ------------------------------------------------------------------------------------------

def test_both_spellings_of_a_date_are_read():
    assert dates.parse_date("05.03.2026") == date(2026, 3, 5)
    assert dates.parse_date("5.3.2026") == date(2026, 3, 5)
    assert dates.parse_date(" 2026-03-05 ") == date(2026, 3, 5)
    assert dates.parse_date("2026-3-5") == date(2026, 3, 5)


def test_anything_else_is_not_a_date():
    for text in ("", "   ", None, 20260305, "31.02.2026", "2026/03/05", "05.03.26", "05-03-2026",
                 "０５.03.2026", "01.01.1899", "01.01.2101", "5 марта 2026", "05.03.2026 12:00"):
        assert dates.parse_date(text) is None, text


def test_params_reads_dates_through_dates():
    assert params.parse_date is dates.parse_date and params.date_error is dates.date_error
    assert (params.MIN_DATE, params.MAX_DATE, params.DATE_HINT) == (dates.MIN_DATE, dates.MAX_DATE, "дд.мм.гггг")


def test_a_refused_date_is_answered_in_russian():
    assert dates.date_error("31.02.2026") == \
        "«31.02.2026» — не дата; укажите её в виде дд.мм.гггг (с 1900 по 2100 год)"
    assert dates.date_error("x", "Дата приказа") == \
        "Дата приказа: «x» — не дата; укажите её в виде дд.мм.гггг (с 1900 по 2100 год)"


# -- today --------------------------------------------------------------------------------------------

def test_today_is_the_organizations_own_around_midnight():
    east, moscow = _org("Asia/Yekaterinburg"), _org("Europe/Moscow")
    with clock.frozen(NEAR_MIDNIGHT):
        assert dates.today(east) == date(2026, 11, 20)
        assert dates.today(moscow) == date(2026, 11, 19)
        assert dates.today(east.id) == date(2026, 11, 20)  # by its id too
        assert dates.today() == date(2026, 11, 19)  # no organization: Moscow (installation-wide work)
        clock.advance(hours=2)  # 22:30 UTC: Moscow's day begins at 21:00 UTC
        assert dates.today(moscow) == date(2026, 11, 20)


def test_the_current_year_follows_the_organizations_today():
    org = _org("Asia/Yekaterinburg", start_year=2025)
    this = db.session.query(AcademicYear).filter_by(org_id=org.id).one()
    this.end_date = date(2026, 8, 31)
    coming = AcademicYear(org_id=org.id, name="2026/2027", start_date=date(2026, 9, 1), end_date=date(2027, 6, 30))
    db.session.add(coming)
    db.session.flush()
    # 31.08 22:30 in Moscow is 01.09 00:30 in Yekaterinburg: its new year has begun.
    with clock.frozen(datetime(2026, 8, 31, 19, 30, tzinfo=timezone.utc)):
        assert current_year(org) == coming
        assert current_year(org.id) == coming
        assert current_year(org, date(2026, 8, 31)) == this
    assert current_year(None) is None
    # Between two years (none contains the day): the nearest open one to come.
    assert current_year(org, date(2025, 8, 1)) == this


def test_the_current_year_is_the_one_containing_today():
    org, year, _ = make_org("y")
    assert current_year(org) == year and year.start_date <= TEST_TODAY <= year.end_date


# -- showing ------------------------------------------------------------------------------------------

def test_a_stored_time_is_shown_in_the_organizations_zone():
    east, moscow = _org("Asia/Yekaterinburg"), _org("Europe/Moscow")
    stored = NEAR_MIDNIGHT.replace(tzinfo=None)  # the database keeps naive UTC
    assert dates.format_datetime(stored, east) == "20.11.2026 01:30"
    assert dates.format_datetime(stored, moscow) == "19.11.2026 23:30"
    assert dates.format_date(stored, east) == "20.11.2026"
    assert dates.format_date(date(2026, 3, 5)) == "05.03.2026"
    assert dates.format_datetime(date(2026, 3, 5)) == "05.03.2026"
    assert dates.format_date(None) == dates.format_datetime(None) == ""


def _render(app, actor, source, **values):
    with app.test_request_context("/"):
        g.actor = actor
        return render_template_string(source, **values)


def test_the_filters_show_dates_and_local_times(app):
    east = _org("Asia/Yekaterinburg")
    stored = NEAR_MIDNIGHT.replace(tzinfo=None)
    source = "{{ d|date }}|{{ d|date(short=True) }}|{{ ts|datetime }}|{{ ts|date }}|{{ t|time }}|{{ none|date }}|" \
             "{{ none|datetime }}"
    values = {"d": date(2026, 3, 5), "ts": stored, "t": time(8, 5), "none": None}
    assert _render(app, Actor.system_actor(east), source, **values) == \
        "05.03.2026|05.03|20.11.2026 01:30|20.11.2026|08:05||"
    moscow = _org("Europe/Moscow")
    assert _render(app, Actor.system_actor(moscow), source, **values) == \
        "05.03.2026|05.03|19.11.2026 23:30|19.11.2026|08:05||"
    assert _render(app, None, "{{ ts|datetime }}", ts=stored) == "19.11.2026 23:30"  # no one signed in: Moscow


def test_the_model_views_show_stored_times_as_the_filters_do(app):
    east = _org("Asia/Yekaterinburg")
    stored = NEAR_MIDNIGHT.replace(tzinfo=None)
    with app.test_request_context("/"):
        g.actor = Actor.system_actor(east)
        assert formatting.format_datetime(stored) == "20.11.2026 01:30"
        assert formatting.format_time(stored) == "01:30"


# -- labels -------------------------------------------------------------------------------------------

def test_labels_are_declared_once_on_the_models(app):
    student = labels_of(Student)
    assert student["last_name"] == "Фамилия"  # the person's, from PersonMixin
    assert student["personal_file_number"] == "№ личного дела"  # the student's own
    assert isinstance(student["klass"], KindText) and student["klass"].key == "class"  # shared, by kind
    assert labels_of(SchoolClass)["year"] == "Учебный год"
    assert labels_of(AcademicYear)["name"] == "Учебный год"
    assert "year" not in labels_of(Organization)  # a shared label only where the attribute is
    views = {type(v).__name__: v for v in app.extensions["admin"][0]._views}
    assert views["StudentView"].column_labels["last_name"] == "Фамилия"
    assert views["AuditLogView"].column_labels["at"] == "Когда"
