"""Who writes what in the journal, and which values its marks take (SPEC §3 rules 2–4): what the
journal's writes check and its pages show (a cell read-only when the actor may not write it).

``can_write(actor, assignment, lesson=None)`` / ``can_correct(actor)`` — for showing cells read-only.
``mark_values(subject, klass, org)`` / ``period_mark_values(subject, kind, klass, org)`` — allowed values.
``no_marks(org, klass, subject)`` — grade 1 of a school and subjects «без отметок».
``not_given(lesson, today)`` — a lesson dated after the organization's today takes no marks and no attendance.
``lock_reason(kind, set_on)`` — why a set period (year, final) mark closes a student's marks to the teacher.

Who writes what: the teacher of the assignment writes its journal, the teacher who gives a
lesson on a substitution (Lesson.teacher_id) writes that lesson; the deputy director and the
administrator correct (and may change marks a set period mark has closed to the teacher); the
director, the class teacher (for other teachers' subjects), students and parents only read.
Period marks: the subject's teacher (of the student's class, or of his subgroup when the class is
split), in a school also the class teacher for every subject of his class, and the correctors.
Once set, a period (year, exam, final) mark is changed or deleted only by a corrector: the teacher
cannot delete it, change the marks it closed and set it again.
A period's marks close with the period; year, exam and final marks with the year's last period.
Grade 1 of a school and subjects «без отметок» keep attendance and topics only.
A lesson not given yet (dated after the organization's today, services/dates.today(org)) takes no
marks and no attendance; its topic, homework and tasks may be planned ahead.
"""
from models import Grading, MARK_VALUES, PASS_FAIL_VALUES, PERIOD_MARK_VALUES, PeriodMarkKind
from services import permissions
from services.dates import DAY_FORMAT

NO_MARKS_FIRST_GRADE = "в 1 классе отметки не ставятся: только посещаемость и темы уроков"
PERIOD_EXTRA = ("н/а", "осв")
NOT_GIVEN = "урок ещё не проведён"
NOT_GIVEN_MARK = NOT_GIVEN + " — отметку ставят в день урока или после него"
NOT_GIVEN_ATTENDANCE = NOT_GIVEN + " — посещаемость отмечают в день урока или после него"
# Who changes the marks a set period mark closes (can_correct: the deputy director, who controls the
# journals (SPEC §3 rule 2), and the administrator); the grid's lock says it in short.
CORRECTED_BY = "правка у заместителя директора"
_LOCKED_BY = {PeriodMarkKind.PERIOD.value: "отметка за период", PeriodMarkKind.YEAR.value: "годовая отметка",
              PeriodMarkKind.EXAM.value: "экзаменационная отметка", PeriodMarkKind.FINAL.value: "итоговая отметка"}


# -- who may write ------------------------------------------------------------------------------

def can_correct(actor):
    """The deputy director and the administrator correct journals (SPEC §3 rule 2), audited."""
    return actor is not None and (actor.system or permissions.allowed(actor, "journal", "correct"))


def can_write(actor, assignment, lesson=None):
    """Is the actor the teacher of this journal (or, with `lesson`, the teacher giving that lesson)?"""
    if actor is None or assignment is None:
        return False
    if actor.system:
        return actor.org_id in (None, assignment.org_id)
    if actor.org_id != assignment.org_id or not actor.staff_id or \
            not permissions.allowed(actor, "journal", "edit"):
        return False
    return assignment.teacher_id == actor.staff_id or \
        (lesson is not None and lesson.teacher_id == actor.staff_id)


def not_given(lesson, today):
    """The lesson is dated after the organization's today: no marks, no attendance on it yet (its topic,
    homework and tasks may be planned ahead). `today`: services.dates.today(org) of the journal's organization."""
    return lesson.date > today


def lock_reason(kind, set_on=None):
    """Why a set period (year, final) mark of `kind` closes the student's marks to the teacher, with the
    day it was set (`set_on`, the organization's date), e.g. «отметка за период выставлена 12.12 — правка у
    заместителя директора»."""
    when = f" {set_on.strftime(DAY_FORMAT)}" if set_on is not None else ""
    return f"{_LOCKED_BY.get(kind, _LOCKED_BY[PeriodMarkKind.PERIOD.value])} выставлена{when} — {CORRECTED_BY}"


def no_marks(org, klass, subject):
    """Grade 1 of a school (seed 001 §VIII 8.4) and subjects «без отметок» keep no marks."""
    first_grade = klass is not None and klass.grade == 1 and not (org is not None and org.is_college)
    return first_grade or (subject is not None and subject.grading == Grading.NONE.value)


def mark_values(subject, klass=None, org=None):
    """Values a mark on a task may take: 5…1, plus «зач/незач» where the subject is pass/fail."""
    if no_marks(org, klass, subject):
        return ()
    if subject.grading == Grading.PASS_FAIL.value:
        return MARK_VALUES + PASS_FAIL_VALUES
    return MARK_VALUES


def period_mark_values(subject, kind, klass=None, org=None):
    """Values of a period mark. A period's and the year's mark follow the subject's grading; an
    exam or final mark may take any (a credit, a graded credit or an exam decide it)."""
    if no_marks(org, klass, subject):
        return ()
    if kind in (PeriodMarkKind.EXAM.value, PeriodMarkKind.FINAL.value):
        return PERIOD_MARK_VALUES
    base = PASS_FAIL_VALUES if subject.grading == Grading.PASS_FAIL.value else MARK_VALUES
    return base + PERIOD_EXTRA
