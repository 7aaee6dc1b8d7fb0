"""What each endpoint of the NetSchool-compatible API answers (issue 19), from the product's own diary
(services/journal/diary.py: the same lessons, marks, weights and debts for the student and week).

Shapes are the ones the two open clients parse (netschoolapi 11.0.5 with marshmallow, netschoolpy 9.6.3
with pydantic); where they are strict the API bends:
- a date is "YYYY-MM-DDT00:00:00" (netschoolapi's date format), a time "HH:MM";
- `mark.mark` is an integer or null (netschoolapi's field is an int): «зач», «незач» and other non-numeric
  marks are sent as null with the text in `mark.abbr` (netschoolpy reads it into `mark_text`); a debt —
  a mandatory task without a mark, the diary's «.» — is `{"mark": null, "dutyMark": true}`;
- `weight` is an integer (netschoolpy's field is an int: 1.5 would break it): the task's weight rounded half
  up, at least 1; the exact one is `weightExact` (a string, «1.5»);
- the lesson's homework is an assignment of the type «Домашнее задание» (id 0, HOMEWORK_TYPE), its id the
  lesson's id negated, due on the lesson it is for; its files are its attachments.
"""
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from models import Lesson, Mark, Organization, Room, Staff, Task, TaskType, TeachingAssignment, Subject, db, scope
from services import audit, clock, dates
from services.announcements import board
from services.journal import diary, lesson_files
from services.org.years import current_year

HOMEWORK_TYPE = 0
HOMEWORK_NAME = "Домашнее задание"
MAX_DAYS = 42  # a diary request spans at most six weeks


class NotFound(Exception):
    """The row is not the actor's to read (→ 404 JSON)."""


class BadRequest(Exception):
    """A parameter cannot be read (→ 400 JSON with the message)."""


def day(value):
    return f"{value.isoformat()}T00:00:00" if value is not None else None


def hhmm(value):
    return value.strftime("%H:%M") if value is not None else "00:00"


def whole_weight(weight):
    return max(1, int(Decimal(str(weight)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)))


def exact_weight(weight):
    return format(Decimal(str(weight)).normalize(), "f")


def mark_json(value, child_id, task_id):
    text = (value or "").strip()
    base = {"assignmentId": task_id, "studentId": child_id, "dutyMark": False}
    if text.isdigit():
        return {**base, "mark": int(text)}
    return {**base, "mark": None, "abbr": text}


def debt_json(child_id, task_id):
    return {"assignmentId": task_id, "studentId": child_id, "mark": None, "dutyMark": True}


# -- schools, context ------------------------------------------------------------------------------------

def schools(name=None):
    """schools/search: the installation's organizations (a parent's children may study in two of them)."""
    with scope.installation("the schools an app chooses from before its login"):
        rows = db.session.scalars(select(Organization).order_by(Organization.short_name, Organization.id)).all()
    wanted = (name or "").strip().lower()
    return [{"id": o.id, "name": o.full_name, "shortName": o.short_name, "addressString": o.address or "",
             "inn": o.inn or ""}
            for o in rows if not wanted or wanted in o.short_name.lower() or wanted in o.full_name.lower()]


def context(actor):
    year = current_year(actor.org)
    return {"schoolId": actor.org_id, "userId": actor.user_id, "user": {"id": actor.user_id,
                                                                          "name": actor.user.display_name},
            "currentYear": year_json(year), "roles": roles(actor), "serverTime": clock.now(actor.org).isoformat()}


def roles(actor):
    return [r for r, card in (("Student", actor.student_id), ("Parent", actor.parent_id)) if card]


def year_json(year):
    if year is None:
        return None
    return {"id": year.id, "name": year.name, "startDate": day(year.start_date), "endDate": day(year.end_date)}


def current_year_json(actor):
    year = current_year(actor.org)
    if year is None:
        raise NotFound()
    return year_json(year)


def card(actor, school_id):
    """schools/{id}/card: the organization's card; only the school the login chose (an id below 1 — what
    netschoolapi sends when its login was given the school's id, not its name — means that school)."""
    if school_id < 1:
        school_id = actor.org_id
    if school_id != actor.org_id:
        raise NotFound()
    org = actor.org
    return {
        "commonInfo": {"schoolName": org.short_name, "fullSchoolName": org.full_name, "about": "",
                       "status": "", "ownershipType": "", "schoolType": org.kind},
        "contactInfo": {"postAddress": org.address or "", "juridicalAddress": org.address or "",
                        "email": org.email or "", "web": org.site_url or "", "phones": org.phone or "",
                        "fax": ""},
        "managementInfo": {"director": org.director_name or "", "principalAHC": "", "principalIT": "",
                           "principalUVR": ""},
        "otherInfo": {"inn": org.inn or "", "licenseNumber": org.licence_number or "",
                      "accreditationNumber": org.accreditation_number or ""},
    }


# -- the students -----------------------------------------------------------------------------------------

def diary_init(actor):
    children = diary.diary_children(actor)
    return {"students": [{"studentId": c.id, "nickName": c.name, "className": c.class_name, "classId": c.class_id,
                          "iupGrade": 0} for c in children],
            "currentStudentId": 0, "weekStart": day(diary.week_start(dates.today(actor.org))),
            "yaClass": False, "yaClassAuthUrl": None, "newDiskToken": None, "newDiskWasRequest": False,
            "ttsuRl": None, "externalUrl": None, "weight": True, "maxMark": 5, "withLaAssigns": True}


def child_of(actor, student_id):
    """The actor's own child (or himself); another's id is logged as refused and answered 404."""
    try:
        wanted = int(str(student_id))
    except ValueError:
        wanted = None
    children = diary.diary_children(actor)
    if wanted is None and len(children) == 1:
        return children[0]
    found = next((c for c in children if c.id == wanted), None)
    if found is None:
        diary.log_refused(actor, "student", wanted if wanted and 0 < wanted < 2 ** 31 else None,
                          f"API: отказано в доступе к дневнику обучающегося (id {student_id})"[:300])
        raise NotFound()
    return found


def _logged(actor, child, what):
    audit.log_read(actor, "diary", "student", child.id,
                   f"Дневник через приложение ({what}): {child.name}"
                   + (f", {child.class_name}" if child.class_name else ""))


def _day_param(value):
    """A date parameter: гггг-мм-дд (what both clients send), also with NetSchool's own time part
    («2026-11-16T00:00:00», as its dates are written) or дд.мм.гггг; None when unreadable."""
    text = str(value or "").strip()[:40]
    if "T" in text:
        text, _, time_part = text.partition("T")
        if not all(ch.isdigit() or ch in ":.Z+-" for ch in time_part):
            return None
    return dates.parse_date(text)


def _range(week_start, week_end, today):
    start = _day_param(week_start) if week_start else diary.week_start(today)
    end = _day_param(week_end) if week_end else (start + timedelta(days=5) if start else None)
    if start is None or end is None:
        raise BadRequest("Даты недели не прочитаны: ожидается гггг-мм-дд.")
    if end < start or (end - start).days > MAX_DAYS:
        raise BadRequest(f"Период дневника — от одного до {MAX_DAYS} дней.")
    return start, end


# -- the diary --------------------------------------------------------------------------------------------

def _tasks(child, lesson_ids):
    """The tasks of the lessons the diary shows for the student — those with his mark, and the mandatory ones
    without it (debts) — with the lessons' rooms; two statements."""
    if not lesson_ids:
        return {}, {}
    rows = db.session.execute(
        select(Task.id, Task.lesson_id, Task.type_id, Task.topic, TaskType.name, Task.weight, Task.is_mandatory,
               Mark.value, Mark.comment)
        .join(TaskType, TaskType.id == Task.type_id)
        .outerjoin(Mark, (Mark.task_id == Task.id) & (Mark.student_id == child.id))
        .where(Task.lesson_id.in_(lesson_ids), (Mark.id.is_not(None)) | Task.is_mandatory.is_(True))
        .order_by(Task.lesson_id, Task.position)).all()
    tasks = {}
    for row in rows:
        tasks.setdefault(row[1], []).append(row)
    rooms = dict(db.session.execute(select(Lesson.id, Room.name).join(Room, Room.id == Lesson.room_id)
                                    .where(Lesson.id.in_(lesson_ids))).all())
    return tasks, rooms


def _task_json(child, lesson_date, row):
    task_id, _, type_id, topic, type_name, weight, _, value, comment = row
    return {"id": task_id, "typeId": type_id, "assignmentName": topic or type_name, "dueDate": day(lesson_date),
            "weight": whole_weight(weight), "weightExact": exact_weight(weight),
            "mark": mark_json(value, child.id, task_id) if value is not None else debt_json(child.id, task_id),
            "markComment": {"id": task_id, "name": comment} if comment else None, "classMeetingId": row[1]}


def _attachment_json(f):
    return {"id": f.id, "name": f.name, "originalFileName": f.name, "description": None}


def _homework_json(lesson):
    return {"id": -lesson.id, "typeId": HOMEWORK_TYPE, "assignmentName": lesson.homework.strip() or HOMEWORK_NAME,
            "dueDate": day(lesson.homework_due or lesson.date), "weight": 1, "weightExact": "0",
            "mark": None, "markComment": None, "classMeetingId": lesson.id,
            "attachments": [_attachment_json(f) for f in lesson.homework_files]}


def diary_json(actor, student_id, week_start, week_end):
    """student/diary: the week(s) of the product's diary for the student (logged as a diary read)."""
    child = child_of(actor, student_id)
    start, end = _range(week_start, week_end, dates.today(actor.org))
    days = []
    monday = diary.week_start(start)
    while monday <= end:
        days += [d for d in diary.diary_week(child, monday) if start <= d.date <= end]
        monday += timedelta(days=7)
    lessons = [lesson for d in days for lesson in d.lessons]
    tasks, rooms = _tasks(child, [lesson.id for lesson in lessons])
    week_days = []
    for d in days:
        if not d.lessons:
            continue
        week_days.append({"date": day(d.date), "lessons": [{
            "classmeetingId": lesson.id, "day": day(lesson.date), "number": lesson.number, "relay": 1,
            "room": rooms.get(lesson.id, ""), "startTime": hhmm(lesson.starts_at), "endTime": hhmm(lesson.ends_at),
            "subjectName": lesson.subject, "teacher": lesson.teacher, "topic": lesson.topic,
            "isCancelled": lesson.is_cancelled, "isDistanceLesson": False, "isEaLesson": False,
            "attendance": lesson.attendance,
            "assignments": ([_homework_json(lesson)] if lesson.homework.strip() or lesson.homework_files else [])
            + [_task_json(child, lesson.date, row) for row in tasks.get(lesson.id, [])],
        } for lesson in d.lessons]})
    _logged(actor, child, f"неделя с {dates.format_date(start)}")
    return {"weekStart": day(start), "weekEnd": day(end), "weekDays": week_days, "laAssigns": [],
            "termName": "", "className": child.class_name}


def past_mandatory(actor, student_id):
    """student/diary/pastMandatory: overdue mandatory work of the current academic year — mandatory tasks of
    the student's lessons before today without his mark (the diary's debts)."""
    child = child_of(actor, student_id)
    today = dates.today(actor.org)
    year = current_year(actor.org)
    start = year.start_date if year is not None else today - timedelta(days=365)
    rows = diary.overdue_mandatory(child, start, today)
    _logged(actor, child, "просроченные задания")
    return [{"id": task_id, "typeId": type_id, "assignmentName": topic or type_name, "dueDate": day(lesson_date),
             "weight": whole_weight(weight), "weightExact": exact_weight(weight),
             "mark": debt_json(child.id, task_id), "markComment": None, "classMeetingId": lesson_id,
             "subjectName": subject}
            for task_id, type_id, topic, type_name, weight, lesson_id, lesson_date, subject in rows]


def assignment_types(actor):
    """grade/assignment/types: every task type of the school (inactive ones too: old marks keep them) and
    the homework's."""
    rows = db.session.scalars(select(TaskType).where(TaskType.org_id == actor.org_id)
                              .order_by(TaskType.sort_order, TaskType.id)).all()
    return [{"id": HOMEWORK_TYPE, "name": HOMEWORK_NAME, "abbr": "ДЗ", "order": 0}] + [
        {"id": t.id, "name": t.name, "abbr": t.short_name, "order": t.sort_order} for t in rows]


def _homework_files(lesson_id):
    return [f for f in lesson_files.files_of([lesson_id]).get(lesson_id, []) if f.kind != "topic"]


def _lesson_of(actor, child, assignment_id):
    """(lesson, task or None) of an assignment id the student's diary shows, else NotFound; an id of a lesson or
    task that exists but is not the student's is logged as a refused attempt (another family's assignment)."""
    if assignment_id < 0:
        lesson = diary.lesson_of_student(child, -assignment_id)
        if lesson is None:
            _refuse_foreign(actor, child, Lesson, -assignment_id, assignment_id)
        if not (lesson.homework or "").strip() and not _homework_files(lesson.id):
            raise NotFound()
        return lesson, None
    task = db.session.get(Task, assignment_id)
    lesson = diary.lesson_of_student(child, task.lesson_id) if task is not None else None
    if lesson is None:
        _refuse_foreign(actor, child, Task, assignment_id, assignment_id)
    return lesson, task


def _refuse_foreign(actor, child, model, row_id, assignment_id):
    """NotFound; logged as refused when the row exists (another class's, another school's): an app asking for
    assignments not in the student's diary is probing."""
    with scope.installation("whether an assignment id an app asked for exists in another school"):
        exists = db.session.scalar(select(model.id).where(model.id == row_id)) is not None
    if exists:
        diary.log_refused(actor, "lesson" if model is Lesson else "task", row_id,
                          f"API: отказано в доступе к заданию {assignment_id} (дневник обучающегося id {child.id})")
    raise NotFound()


def assignment_card(actor, assignment_id, student_id):
    """student/diary/assigns/{id}: one assignment with its teacher and subject."""
    child = child_of(actor, student_id)
    lesson, task = _lesson_of(actor, child, assignment_id)
    ta = db.session.get(TeachingAssignment, lesson.assignment_id)
    subject = db.session.get(Subject, ta.subject_id)
    teacher = db.session.get(Staff, lesson.teacher_id or ta.teacher_id) if (lesson.teacher_id or ta.teacher_id) \
        else None
    files = lesson_files.files_of([lesson.id]).get(lesson.id, [])
    _logged(actor, child, "карточка задания")
    if task is None:
        text = (lesson.homework or "").strip()
        name, weight, description = text or HOMEWORK_NAME, Decimal("1"), text
        attachments = [_attachment_json(f) for f in files if f.kind != "topic"]
        type_id = HOMEWORK_TYPE
    else:
        type_name = db.session.get(TaskType, task.type_id).name
        name, weight, description, attachments, type_id = task.topic or type_name, task.weight, "", [], task.type_id
    return {"id": assignment_id, "assignmentName": name, "typeId": type_id,
            "subjectGroup": {"id": ta.id, "name": subject.name},
            "teachers": [{"id": teacher.id, "name": diary.short_person(teacher.last_name, teacher.first_name,
                                                                 teacher.middle_name)}] if teacher else [],
            "weight": whole_weight(weight), "weightExact": exact_weight(weight), "date": day(lesson.date),
            "description": description, "attachments": attachments, "isDeleted": False}


def attachments(actor, student_id, assignment_ids):
    """student/diary/get-attachments: the homework files of the given assignments the student's diary shows."""
    child = child_of(actor, student_id)
    wanted = []
    for value in assignment_ids[:50]:
        try:
            wanted.append(int(value))
        except (TypeError, ValueError):
            raise BadRequest("Номера заданий — целые числа.") from None
    result = []
    for assignment_id in wanted:
        if not -2 ** 31 < assignment_id < 2 ** 31:
            continue
        try:
            lesson, task = _lesson_of(actor, child, assignment_id)
        except NotFound:
            continue
        if task is not None:
            continue
        files = lesson_files.files_of([lesson.id]).get(lesson.id, [])
        result.append({"assignmentId": assignment_id,
                       "attachments": [_attachment_json(f) for f in files if f.kind != "topic"]})
    _logged(actor, child, "файлы заданий")
    return result


def announcements(actor):
    """announcements: what the family reads today on its announcements page."""
    rows = board.reading_list(actor, dates.today(actor.org))
    result = []
    for a in rows:
        author = a.author
        name = author.display_name if author is not None else ""
        result.append({"id": a.id, "name": a.title, "description": a.body, "postDate": day(a.publish_date),
                       "deleteDate": day(a.end_date),
                       "author": {"id": author.id if author is not None else 0, "fio": name, "nickName": name},
                       "attachments": [{"id": f.stored_file_id, "name": f.stored_file.name,
                                        "originalFileName": f.stored_file.name, "description": None}
                                       for f in a.files]})
    return result
