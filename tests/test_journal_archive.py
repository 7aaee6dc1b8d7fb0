"""The yearly archive of the class journal (issue 13.8): a class's whole journal for the year in one
printable workbook, equal to the journal, counted by hand on the small school of
tests/test_reports_teacher_student.py; who may print what; the whole organization in the background
with its progress; the command line; a bounded number of statements."""
import io
import time
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from models import Lesson, TaskType, db
from reports import journal_archive as archive
from reports.parameters import pick_year
from services.errors import DomainError, PermissionDenied
from tests.factories import actor_of, jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_subject, jr_task, \
    make_student
from tests.querycount import count_queries

D = date
TODAY = D(2026, 11, 20)


def workbook(login, klass="5А"):
    actor = actor_of(login)
    year = pick_year(actor, None, TODAY)
    name, content = archive.class_workbook(actor, year, archive.find_class(actor, year, klass), TODAY)
    return name, openpyxl.load_workbook(io.BytesIO(content))


def short(type_name):
    return db.session.scalar(select(TaskType.short_name).where(TaskType.name == type_name).limit(1))


def grid_of(wb, subject, period):
    """The grid of the sheet whose heading names the subject and the period."""
    return grid(next(ws for ws in wb.worksheets if f"Предмет: {subject};" in str(ws["A3"].value)
                     and period in str(ws["A3"].value)))


def grid(ws):
    """{student's row label: [(date, task label, value)]} of a grid sheet: its non-empty cells, and the
    period and final marks under their titles."""
    rows = list(ws.iter_rows(values_only=True))
    top = next(n for n, r in enumerate(rows) if r[0] == "№")
    dates, tasks = list(rows[top]), list(rows[top + 1])
    for col in range(2, len(dates)):  # a merged date spans its lesson's tasks
        if dates[col] is None and tasks[col] is not None:
            dates[col] = dates[col - 1]
    result = {}
    for r in rows[top + 2:]:
        if not isinstance(r[0], int):
            break
        result[r[1]] = [(dates[c], tasks[c] or "", v) for c, v in enumerate(r) if c >= 2 and v not in (None, "")]
    return result


def test_the_archive_holds_the_journal_of_every_subject(report_school):
    a = report_school
    lesson = db.session.scalar(select(Lesson).where(Lesson.assignment_id == a.m5a.id, Lesson.date == D(2026, 11, 10)))
    lesson.topic, lesson.homework = "Дроби", "№ 12, 14"
    db.session.commit()
    name, wb = workbook("a.deputy")
    assert name == "zhurnal-5a-2026-2027.xlsx"
    sheets = wb.sheetnames
    # The title, every subject (the English subgroup on its own) × every period, the topics.
    assert sheets[0] == "Титул" and sheets[-1] == "Темы уроков"
    assert len(sheets) == 2 + 3 * 2, sheets
    answer, test, dictation = short("Ответ на уроке"), short("Контрольная работа"), short("Диктант")

    math1, math2 = grid_of(wb, "Математика", "1 четверть"), grid_of(wb, "Математика", "2 четверть")
    # 1 четверть: 05.10 answer (Учеников 3, Соседов 5), 07.10 test ×3 (Учеников 4, Отличников 5);
    # Соседов moved to 6Б on 12.10, Уходов left on 16.11 (after the quarter); period marks 4 (Учеников).
    assert math1 == {
        "Отличников О. И.": [("07.10", f"{test}×3", "5")],
        "Соседов С. И. (выбыл 12.10)": [("05.10", answer, "5")],
        "Уходов У. И.": [],
        "Учеников П. И.": [("05.10", answer, "3"), ("07.10", f"{test}×3", "4"), ("За период", "", "4")],
    }
    # 2 четверть (the last here): 10.11 answer, 12.11 test, 01.12 (no marks); the cancelled 11.11 is not a
    # column; late on 10.11 («оп») with the mark; period, year, exam and final marks.
    pupil = math2["Учеников П. И."]
    assert [(d, t, v) for d, t, v in pupil if d not in ("За период", "Год", "Экз.", "Итог.")] == [
        ("10.11", answer, "оп 5"), ("12.11", f"{test}×3", "4")]
    assert [v for d, _, v in pupil if d in ("За период", "Год", "Экз.", "Итог.")] == ["5", "5", "4", "5"]
    assert [v for d, _, v in math2["Уходов У. И. (выбыл 16.11)"]] == ["2", "2"]  # 10.11 «2», period «2»
    assert "Соседов С. И." not in " ".join(math2)  # in 6Б all the quarter
    # Русский язык, 2 четверть: ill 09.11, dictation ×2 on 13.11, absent 16.11.
    russian = grid_of(wb, "Русский язык", "2 четверть")
    assert russian["Учеников П. И."] == [("09.11", "", "б"), ("13.11", f"{dictation}×2", "5"), ("16.11", "", "н")]
    # English: only the subgroup's member.
    english = grid_of(wb, "Английский язык (1 группа)", "2 четверть")
    assert list(english) == ["Учеников П. И."] and english["Учеников П. И."][0] == ("11.11", answer, "3")
    # The lessons' dates, topics and homework, the cancelled one noted; a signature line per subject.
    topics = [r for r in wb["Темы уроков"].iter_rows(values_only=True)]
    assert ("10.11.2026", 2, "Дроби", "№ 12, 14") in [r[:4] for r in topics]
    assert any(r[0] == "11.11.2026" and "отменён" in (r[5] or "") for r in topics)
    assert sum(1 for r in topics if r[0] == "Учитель") == 3
    title = [r for r in wb["Титул"].iter_rows(values_only=True)]
    assert [r[1] for r in title if isinstance(r[0], int)] == ["Английский язык (1 группа)", "Математика",
                                                              "Русский язык"]
    ws = wb[sheets[3]]
    assert ws.print_title_rows and ws.print_title_cols == "$A:$B"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9


def test_who_may_print_which_class(report_school, world):
    for login in ("a.deputy", "a.director", "a.admin", "a.class_teacher"):
        assert workbook(login)[0] == "zhurnal-5a-2026-2027.xlsx"
    for login, klass in (("a.class_teacher", "6Б"), ("a.deputy", "7В"), ("b.admin", str(report_school.klass.id))):
        with pytest.raises(DomainError) as refused:
            workbook(login, klass)
        assert "не найден" in " ".join(refused.value.errors)
    assert archive.reachable_classes(actor_of("a.teacher"), report_school.year) == []
    with pytest.raises(PermissionDenied):
        archive.organization_classes(actor_of("a.class_teacher"), report_school.year)


def test_the_page_by_role(report_school, browser):
    b = browser()
    b.login("a.teacher")
    assert b.get("/journal-archive/").status_code == 403
    assert b.get("/journal-archive/class?class=5А").status_code == 403
    assert "Архив журналов" not in b.get("/").get_data(as_text=True)
    b = browser()
    b.login("a.class_teacher")
    page = b.get("/journal-archive/").get_data(as_text=True)
    assert "Архив журналов" in page and '<option value="5А">' in page and "6Б" not in page
    assert "Собрать журналы всех классов" not in page
    assert b.get("/journal-archive/class?class=5А").mimetype.endswith("spreadsheetml.sheet")
    refused = b.get("/journal-archive/class?class=6Б", follow_redirects=True).get_data(as_text=True)
    assert "не найден" in refused
    assert b.post("/journal-archive/all", data={}).status_code == 403


def statements(login, klass):
    actor = actor_of(login)
    year = pick_year(actor, None, TODAY)
    klass = archive.find_class(actor, year, klass)
    db.session.expire_all()
    with count_queries() as seen:
        archive.class_workbook(actor, year, klass, TODAY)
    return len(seen)


def test_a_class_archive_reads_a_fixed_number_of_statements(report_school):
    before = statements("a.deputy", "5А")
    a = report_school
    extra = [make_student(a.org, a.klass, last, "Ян") for last in ("Новиков", "Новосёлов", "Новгородцев")]
    for n, name in enumerate(("Физика", "История", "Биология")):
        assignment = jr_assignment(a.org, a.year, a.klass, a.teacher, jr_subject(a.org, name))
        for lesson in jr_lessons(assignment, a.p2, [D(2026, 11, 9 + n), D(2026, 11, 16 + n)], number=5):
            task = jr_task(lesson, "Ответ на уроке", weight=Decimal(1))
            for s in extra:
                jr_mark(task, s, "4")
            jr_attendance(lesson, a.student, "н")
    db.session.commit()
    after = statements("a.deputy", "5А")
    assert after == before and before <= 16, (before, after)  # nine loaders, the access log, the session


def wait(b, url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status = b.get(url).get_json()
        if status["state"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError("the archive did not finish")


@pytest.mark.real_commits  # the archive is built in a thread of its own, on a connection of its own
def test_the_whole_organization_in_the_background(report_school, browser, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_DIR", str(tmp_path))
    b = browser()
    b.login("a.deputy")
    started = b.post("/journal-archive/all", data={"year": "2026/2027"})
    assert started.status_code == 302 and "job=" in started.location
    job = started.location.split("job=")[1]
    page = b.get(started.location).get_data(as_text=True)
    assert 'data-status-url="/journal-archive/status/' in page and "/static/archive.js" in page
    assert "<script>" not in page
    status = wait(b, f"/journal-archive/status/{job}")
    assert status["state"] == "done" and status["done"] == status["total"] == 3, status
    download = b.get(status["download"])
    assert download.status_code == 200 and download.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert sorted(names) == ["zhurnal-5a-2026-2027.xlsx", "zhurnal-5b-2026-2027.xlsx", "zhurnal-6b-2026-2027.xlsx"]
    # Another organization's administrator does not see the job.
    other = browser()
    other.login("b.admin")
    assert other.get(f"/journal-archive/status/{job}").status_code == 404
    assert other.get(f"/journal-archive/download/{job}").status_code == 404


def test_the_command_line(report_school, app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "5a.xlsx"
    result = runner.invoke(args=["archive", "journal", "--org", report_school.org.short_name, "--class", "5А",
                                 "--year", "2026/2027", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Титул" in openpyxl.load_workbook(out).sheetnames
    result = runner.invoke(args=["archive", "journal", "--org", report_school.org.short_name, "--all",
                                 "--out", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "zhurnal-5a-2026-2027.xlsx", "zhurnal-5b-2026-2027.xlsx", "zhurnal-6b-2026-2027.xlsx"]
    result = runner.invoke(args=["archive", "journal", "--as", "a.class_teacher", "--all", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "недоступен" in result.output
