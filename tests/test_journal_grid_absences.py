"""The class teacher explains his students' absences (issue 4): within 2 working days of the
document, through services/journal.set_absence_reason. Through the Flask test client."""
from datetime import date

from sqlalchemy import select

from models import Attendance, AttendanceCode, db
from tests.factories import jr_assignment, jr_attendance, jr_lessons, jr_subject

FRIDAY = date(2026, 11, 13)
RANGE = "start=2026-11-09&end=2026-11-20"


def absences(world):
    a = world.a
    subject = jr_subject(a.org, "Математика")
    mine = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, subject), a.period, [FRIDAY])[0]
    other = jr_lessons(jr_assignment(a.org, a.year, a.other_class, a.teacher, subject), a.period, [FRIDAY])[0]
    absent = jr_attendance(mine, a.student, "н")
    late = jr_attendance(mine, a.classmate, "оп")
    stranger = jr_attendance(other, a.stranger, "н")
    db.session.commit()
    return absent, late, stranger


def code_of(row_id):
    db.session.expire_all()
    return db.session.scalar(select(AttendanceCode.code).join(Attendance, Attendance.code_id == AttendanceCode.id)
                             .where(Attendance.id == row_id))


def test_class_teacher_sees_his_absences_with_the_deadline(world, browser):
    absent, late, stranger = absences(world)
    b = browser()
    b.login("a.class_teacher")
    assert b.get("/absences/").status_code == 302  # his only class
    html = b.get(f"/absences/{world.a.klass.id}/?{RANGE}").get_data(as_text=True)
    assert "Учеников П." in html and "Математика" in html and "13.11.2026" in html
    assert f'name="code-{absent.id}"' in html
    assert f'name="code-{late.id}"' not in html  # being late needs no reason
    assert "Чужов" not in html
    assert "до 17.11.2026" in html  # Friday + 2 working days
    assert b.get(f"/absences/{world.a.other_class.id}/?{RANGE}").status_code == 404


def test_class_teacher_sets_a_reason_with_the_document(world, browser):
    absent, _, _ = absences(world)
    b = browser()
    b.login("a.class_teacher")
    url = f"/absences/{world.a.klass.id}/?{RANGE}"
    resp = b.post(url, data={f"code-{absent.id}": "б", f"note-{absent.id}": "справка № 17",
                             f"doc-{absent.id}": "16.11.2026", f"orig-{absent.id}": "н||",
                             f"v-{absent.id}": absent.version})
    assert resp.status_code == 302
    page = b.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Сохранено причин пропусков: 1" in page and "указана" in page
    row = db.session.get(Attendance, absent.id)
    assert code_of(absent.id) == "б" and row.reason_note == "справка № 17"
    assert row.document_date == date(2026, 11, 16) and row.reason_set_at is not None


def test_a_refused_reason_is_shown_again_and_nothing_is_saved(world, browser):
    """All or nothing: one wrong row keeps every row of the save unsaved, each shown with what was typed."""
    absent, late, stranger = absences(world)
    lesson = jr_lessons(db.session.get(Attendance, late.id).lesson.assignment, world.a.period, [date(2026, 11, 16)])[0]
    ill = jr_attendance(lesson, world.a.classmate, "н")
    db.session.commit()
    b = browser()
    b.login("a.class_teacher")
    url = f"/absences/{world.a.klass.id}/?{RANGE}"
    resp = b.post(url, data={f"code-{absent.id}": "у", f"note-{absent.id}": "", f"orig-{absent.id}": "н||",
                             f"v-{absent.id}": absent.version, f"code-{ill.id}": "б", f"orig-{ill.id}": "н||",
                             f"v-{ill.id}": ill.version})
    assert resp.status_code == 200  # the page again, with what was typed and why it was refused
    page = resp.get_data(as_text=True)
    assert "Причины пропусков не сохранены" in page
    assert "укажите документ" in page and '<option value="у" selected' in page
    assert code_of(absent.id) == "н" and code_of(ill.id) == "н"

    # Another class's absence slipped into the form: the whole save is refused.
    resp = b.post(url, data={f"code-{ill.id}": "б", f"orig-{ill.id}": "н||",
                             f"code-{stranger.id}": "б", f"orig-{stranger.id}": "н||"})
    assert resp.status_code == 403
    assert code_of(ill.id) == "н" and code_of(stranger.id) == "н"

    resp = b.post(url, data={f"code-{ill.id}": "б", f"orig-{ill.id}": "н||", f"v-{ill.id}": ill.version},
                  follow_redirects=True)
    assert "Сохранено причин пропусков: 1" in resp.get_data(as_text=True) and code_of(ill.id) == "б"


def test_only_the_class_teacher_sets_reasons(world, browser):
    absent, _, _ = absences(world)
    teacher = browser()
    teacher.login("a.teacher")
    assert teacher.get("/absences/").status_code == 403
    assert teacher.post(f"/absences/{world.a.klass.id}/", data={f"code-{absent.id}": "б"}).status_code == 403
    deputy = browser()
    deputy.login("a.deputy")
    page = deputy.get(f"/absences/{world.a.klass.id}/?{RANGE}").get_data(as_text=True)
    assert "Учеников П." in page and f'name="code-{absent.id}"' not in page
    assert deputy.post(f"/absences/{world.a.klass.id}/?{RANGE}",
                       data={f"code-{absent.id}": "б", f"orig-{absent.id}": "н||"}).status_code == 403
    assert code_of(absent.id) == "н"
