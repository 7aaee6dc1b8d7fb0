"""The one permission table: per view, per role, the verbs allowed and the rows they reach.

Menus, views, actions, exports and services all read it. A role's row filter is
ANDed with the organization scope (rows of the organization the user works in
now) unless the grant is installation-wide; the filters of all the actor's roles
that grant a verb are ORed.

Each key names the model its rows are (`Entry(model, {role: Grant})`): its row filters are
conditions on that model, a model view of the key shows that model, and a hand-made page declares
it on its endpoints (admin_views/base.py `requires`). Whoever asks for a key's rows of another model
is refused at once (`row_condition`); tests/test_permissions.py checks each filter against its model.
"""
from dataclasses import dataclass
from typing import Callable

from flask import abort
from sqlalchemy import false, or_, select, true

from models import (AcademicYear, AccessLog, Announcement, Audience, AttendanceCode, AuditLog, Bell, CalendarDay,
                    ClassMembership, Curriculum, DataRequest,
                    Department, EducationalArea, ExamEntry, Holiday, Lesson, LoginEvent, Mark, MovementOrder,
                    MarkFlag, Notification, Organization, Parent, Period, Position, Role, Room, SchoolClass, Specialty,
                    Staff, Student, Subgroup, Subject, TaskType, TeachingAssignment, ThematicPlan, TimetableChange,
                    TimetableEntry, User, student_parent)
from models import Message, MessageAttachment, MessageCopy
from models import PaperReportPrint, PaperReportRequest
from models import DeadlineRule, ReportBuild
from models import Course, CourseItem, Material, MaterialAssignment
from sqlalchemy.orm import aliased
from models import SavedReport
from models import Municipality, Region, RegionStaff
from models import Quiz, QuizAssignment, QuizAttempt
from models import EntryStatus, PortfolioEntry, Project, ProjectStage, project_participant
from services import clock
from services.errors import PermissionDenied
from services.params import parse_id
from sqlalchemy import func
from models import SubgroupMember
from sqlalchemy import and_
from models import db

READ = frozenset({"list", "details"})
CRUD = READ | {"create", "edit", "delete"}
LOGIN_ACTIONS = frozenset({"issue_logins", "reset_password", "block", "unblock"})
VERBS = ("list", "details", "create", "edit", "delete", "export", *sorted(LOGIN_ACTIONS))


@dataclass(frozen=True)
class Grant:
    verbs: frozenset
    rows: Callable | None = None  # actor -> SQL condition; None: every row of the organization
    installation: bool = False  # not limited to the current organization

    def __init__(self, verbs, rows=None, installation=False):
        object.__setattr__(self, "verbs", frozenset(verbs))
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "installation", installation)


class Entry(dict):
    """One key of the table: per role, a Grant; `model`, the model whose rows the key reaches (its row
    filters are conditions on it); None for a page without rows of its own."""

    def __init__(self, model, grants):
        super().__init__(grants)
        self.model = model
        # A key with a row filter for some role: its rows are only ever asked for as `model` rows.
        self.filtered = any(grant.rows is not None for grant in grants.values())


# Row filters ------------------------------------------------------------------
# Each is a function actor -> SQL condition on the rows of one model, which it declares (`rows_of`):
# a key's filters are those of its model (checked at import, below the table).

def rows_of(model):
    """Declare a row filter's model."""
    def declare(fn):
        fn.model = model
        return fn
    return declare


@rows_of(Organization)
def own_organization(actor):
    return Organization.id == actor.org_id


@rows_of(Organization)
def region_organizations(actor):
    """A regional specialist's scope's organizations (services/region/scope.py computes them)."""
    return Organization.id.in_(actor.region_org_ids or ())


@rows_of(SchoolClass)
def own_class_rows(actor):
    return SchoolClass.id.in_(actor.own_class_ids)


@rows_of(Student)
def own_class_students(actor):
    return Student.class_id.in_(actor.own_class_ids)


@rows_of(Parent)
def own_class_parents(actor):
    return Parent.id.in_(
        select(student_parent.c.parent_id).join(Student, Student.id == student_parent.c.student_id)
        .where(Student.class_id.in_(actor.own_class_ids)))


@rows_of(PaperReportRequest)
def own_class_paper_requests(actor):
    return PaperReportRequest.student_id.in_(select(Student.id).where(Student.class_id.in_(actor.own_class_ids)))


@rows_of(User)
def organization_users(actor):
    return or_(*(User.id.in_(select(card.user_id).where(card.org_id == actor.org_id,
                                                        card.user_id.is_not(None)))
                 for card in (Staff, Student, Parent)))


@rows_of(LoginEvent)
def organization_login_events(actor):
    return LoginEvent.user_id.in_(
        select(User.id).where(organization_users(actor)))


# -- row filters: planning (subjects, curriculum, assignments, subgroups, КТП) --
@rows_of(TeachingAssignment)
def own_assignments(actor):
    """A teacher's own teaching load."""
    return TeachingAssignment.teacher_id == actor.staff_id if actor.staff_id else false()


@rows_of(TeachingAssignment)
def own_class_assignments(actor):
    """Every subject's load of the classes this person leads."""
    return TeachingAssignment.class_id.in_(actor.own_class_ids)


@rows_of(Subgroup)
def own_class_subgroups(actor):
    return Subgroup.class_id.in_(actor.own_class_ids)


@rows_of(Subgroup)
def taught_subgroups(actor):
    """Subgroups of the classes and subjects the teacher teaches."""
    if not actor.staff_id:
        return false()
    return select(TeachingAssignment.id).where(
        TeachingAssignment.teacher_id == actor.staff_id, TeachingAssignment.class_id == Subgroup.class_id,
        TeachingAssignment.subject_id == Subgroup.subject_id).exists()


@rows_of(ThematicPlan)
def own_thematic_plans(actor):
    return ThematicPlan.teacher_id == actor.staff_id if actor.staff_id else false()


# -- end row filters: planning --

# -- row filters: timetable (bells, timetable, changes, exams, lessons) --
def _students_see(student_ids, outer, class_col, whole, subgroup_col, subject_col):
    """Rows of the students' classes: whole-class ones, those of the subgroup a student is in now
    (his membership of the latest period begun), and every subgroup of a subject he is not split in."""

    if not student_ids:
        return false()
    # A row filter of the current request: its organization's today (the clock's default zone).
    today = clock.today()
    member, latest_member = SubgroupMember.__table__.alias("sm"), SubgroupMember.__table__.alias("sm2")
    period, latest_period = Period.__table__.alias("sp"), Period.__table__.alias("sp2")
    begun = select(func.max(latest_period.c.start_date)).select_from(
        latest_member.join(latest_period, latest_period.c.id == latest_member.c.period_id)).where(
        latest_member.c.student_id == Student.id, latest_member.c.subject_id == subject_col,
        latest_period.c.start_date <= today).correlate(Student, outer).scalar_subquery()
    split = select(member.c.subgroup_id).select_from(
        member.join(period, period.c.id == member.c.period_id)).where(
        member.c.student_id == Student.id, member.c.subject_id == subject_col).correlate(Student, outer)
    return select(Student.id).where(
        Student.id.in_(student_ids), Student.class_id == class_col,
        or_(whole,
            ~split.where(period.c.start_date <= today).exists(),
            subgroup_col.in_(split.where(period.c.start_date == begun)))).correlate(outer).exists()


def _entry_subject():
    return select(TeachingAssignment.subject_id).where(
        TeachingAssignment.id == TimetableEntry.assignment_id).correlate(TimetableEntry).scalar_subquery()


def _change_assignment(column):
    return select(column).where(TeachingAssignment.id == func.coalesce(
        TimetableChange.assignment_id, TimetableChange.scheduled_assignment_id)).correlate(TimetableChange) \
        .scalar_subquery()


def _own_timetable_students(student_ids):
    return _students_see(student_ids, TimetableEntry, TimetableEntry.class_id, TimetableEntry.subgroup_key == 0,
                         TimetableEntry.subgroup_key, _entry_subject())


@rows_of(TimetableEntry)
def own_class_timetable(actor):
    return TimetableEntry.class_id.in_(actor.own_class_ids)


@rows_of(TimetableEntry)
def own_lessons_timetable(actor):
    return TimetableEntry.teacher_id == actor.staff_id if actor.staff_id else false()


@rows_of(TimetableEntry)
def student_timetable(actor):
    return _own_timetable_students((actor.student_id,) if actor.student_id else ())


@rows_of(TimetableEntry)
def children_timetable(actor):
    return _own_timetable_students(actor.child_ids)


@rows_of(TimetableChange)
def own_class_changes(actor):
    return TimetableChange.class_id.in_(actor.own_class_ids)


@rows_of(TimetableChange)
def own_lessons_changes(actor):
    """Changes a teacher takes part in: he substitutes, or his lesson is replaced or cancelled."""
    if not actor.staff_id:
        return false()
    mine = select(TeachingAssignment.id).where(TeachingAssignment.teacher_id == actor.staff_id)
    return or_(TimetableChange.teacher_id == actor.staff_id, TimetableChange.assignment_id.in_(mine),
               TimetableChange.scheduled_assignment_id.in_(mine))


def _students_changes(student_ids):
    subgroup = _change_assignment(TeachingAssignment.subgroup_id)
    return _students_see(student_ids, TimetableChange, TimetableChange.class_id, subgroup.is_(None), subgroup,
                         _change_assignment(TeachingAssignment.subject_id))


@rows_of(TimetableChange)
def student_changes(actor):
    return _students_changes((actor.student_id,) if actor.student_id else ())


@rows_of(TimetableChange)
def children_changes(actor):
    return _students_changes(actor.child_ids)


@rows_of(ExamEntry)
def own_class_exams(actor):
    return ExamEntry.class_id.in_(actor.own_class_ids)


@rows_of(ExamEntry)
def own_exams(actor):
    if not actor.staff_id:
        return false()
    return or_(ExamEntry.examiner_id == actor.staff_id, ExamEntry.assistant_id == actor.staff_id)


def _students_exams(student_ids):
    return _students_see(student_ids, ExamEntry, ExamEntry.class_id, ExamEntry.subgroup_id.is_(None),
                         ExamEntry.subgroup_id, ExamEntry.subject_id)


@rows_of(ExamEntry)
def student_exams(actor):
    return _students_exams((actor.student_id,) if actor.student_id else ())


@rows_of(ExamEntry)
def children_exams(actor):
    return _students_exams(actor.child_ids)


# -- end row filters: timetable --

# -- row filters: journal (grid, diary, period marks) --
@rows_of(Student)
def own_student_card(actor):
    """A student's own card (his diary)."""
    return Student.id == actor.student_id if actor.student_id else false()


@rows_of(Student)
def own_children(actor):
    """A parent's own children (their diaries), by a subquery: no list of ids is loaded."""
    if not actor.parent_id:
        return false()
    return Student.id.in_(select(student_parent.c.student_id).where(
        student_parent.c.parent_id == actor.parent_id))


@rows_of(TeachingAssignment)
def own_or_substituted_journals(actor):
    """A teacher's own journals, and those where he gives a lesson on a substitution (замена)."""
    if not actor.staff_id:
        return false()
    return or_(TeachingAssignment.teacher_id == actor.staff_id,
               TeachingAssignment.id.in_(select(Lesson.assignment_id).where(Lesson.teacher_id == actor.staff_id)))


# Lesson files (issue 16.6): who reads the files of a lesson, and who attaches them.
@rows_of(Lesson)
def own_or_substituted_lessons(actor):
    """The lessons of a teacher's own journals, and those he gives on a substitution (замена)."""
    if not actor.staff_id:
        return false()
    return or_(Lesson.teacher_id == actor.staff_id, Lesson.assignment_id.in_(
        select(TeachingAssignment.id).where(TeachingAssignment.teacher_id == actor.staff_id)))


@rows_of(Lesson)
def own_class_lessons(actor):
    """Every lesson of the classes this person leads."""
    return Lesson.assignment_id.in_(
        select(TeachingAssignment.id).where(TeachingAssignment.class_id.in_(actor.own_class_ids)))


def _lessons_of_students(student_ids):
    """Lessons of the classes the students studied in on the lessons' dates (the movement book's history)."""
    return select(ClassMembership.id).join(
        TeachingAssignment, TeachingAssignment.class_id == ClassMembership.class_id).where(
        TeachingAssignment.id == Lesson.assignment_id, ClassMembership.student_id.in_(student_ids),
        ClassMembership.start_date <= Lesson.date,
        or_(ClassMembership.end_date.is_(None), ClassMembership.end_date >= Lesson.date),
        ClassMembership.on_leave.is_(False)).correlate(Lesson).exists()


@rows_of(Lesson)
def student_lessons(actor):
    """A student's lessons: of the classes he studied in on their dates."""
    return _lessons_of_students([actor.student_id]) if actor.student_id else false()


@rows_of(Lesson)
def children_lessons(actor):
    """A parent's children's lessons: of the classes they studied in on their dates."""
    if not actor.parent_id:
        return false()
    return _lessons_of_students(select(student_parent.c.student_id).where(
        student_parent.c.parent_id == actor.parent_id))
@rows_of(MarkFlag)
def own_flags(actor):
    """The flags («отметка ошибочна») a student or a parent sent himself."""
    return MarkFlag.flagged_by_id == actor.user_id if actor.user_id else false()


@rows_of(MarkFlag)
def own_journal_flags(actor):
    """The flags of the marks of a teacher's own journals (his teaching assignments)."""
    if not actor.staff_id:
        return false()
    return MarkFlag.assignment_id.in_(select(TeachingAssignment.id).where(
        TeachingAssignment.teacher_id == actor.staff_id))


# -- end row filters: journal --

# -- row filters: reports --
@rows_of(SchoolClass)
def taught_classes(actor):
    """Classes where the teacher has a teaching assignment (seed 001 §10.1: the teachers who work there)."""
    if not actor.staff_id:
        return false()
    return SchoolClass.id.in_(
        select(TeachingAssignment.class_id).where(TeachingAssignment.teacher_id == actor.staff_id))


@rows_of(Student)
def taught_students(actor):
    """Students of the classes the teacher works in."""
    if not actor.staff_id:
        return false()
    return Student.id.in_(select(ClassMembership.student_id).where(ClassMembership.class_id.in_(
        select(TeachingAssignment.class_id).where(TeachingAssignment.teacher_id == actor.staff_id))))


@rows_of(Student)
def own_class_history_students(actor):
    """Students who were in the classes this person leads at some time (by the class history)."""
    return Student.id.in_(select(ClassMembership.student_id).where(ClassMembership.class_id.in_(actor.own_class_ids)))


# -- end row filters: reports --

# -- row filters: rollover and control --
@rows_of(Lesson)
def own_given_lessons(actor):
    """Lessons a teacher gives: his own, unless another teacher substitutes, and those he substitutes."""

    if not actor.staff_id:
        return false()
    return or_(Lesson.teacher_id == actor.staff_id,
               and_(Lesson.teacher_id.is_(None), Lesson.assignment_id.in_(
                   select(TeachingAssignment.id).where(TeachingAssignment.teacher_id == actor.staff_id))))


# -- end row filters: rollover and control --

# -- row filters: movement --
@rows_of(ClassMembership)
def own_class_memberships(actor):
    """The class history (ClassMembership) of the classes this person leads."""
    return ClassMembership.class_id.in_(actor.own_class_ids)


# -- end row filters: movement --

# -- row filters: announcements --
def announcement_classes(actor):
    """The classes an actor's announcements come through (a select of class ids): his own class as a student,
    his children's, the classes he leads and those he teaches."""
    parts = [select(SchoolClass.id).where(SchoolClass.id.in_(actor.own_class_ids))]
    if actor.student_id:
        parts.append(select(Student.class_id).where(Student.id == actor.student_id))
    if actor.parent_id:
        parts.append(select(Student.class_id).where(Student.id.in_(
            select(student_parent.c.student_id).where(student_parent.c.parent_id == actor.parent_id))))
    if actor.staff_id:
        parts.append(select(TeachingAssignment.class_id).where(TeachingAssignment.teacher_id == actor.staff_id))
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


@rows_of(Announcement)
def concerned_announcements(actor):
    """Announcements that concern the actor: the whole organization's, the staff's (a staff card), his classes'
    and their grades'."""
    classes = announcement_classes(actor)
    conds = [Announcement.audience == Audience.ALL,
             and_(Announcement.audience == Audience.CLASS, Announcement.class_id.in_(classes)),
             and_(Announcement.audience == Audience.GRADE, Announcement.grade.in_(
                 select(SchoolClass.grade).where(SchoolClass.id.in_(classes))))]
    if actor.staff_id:
        conds.append(Announcement.audience == Audience.STAFF)
    return or_(*conds)


@rows_of(Announcement)
def own_announcements(actor):
    """Announcements the actor wrote."""
    return Announcement.author_id == actor.user_id if actor.user_id else false()


# -- end row filters: announcements --

# -- row filters: learning materials (issue 18.4) --
def material_assignments_seen(entity, student_ids, today=None):
    """A condition on `entity` (MaterialAssignment or an alias of it): the assignments the students see — to a
    lesson of a class they studied in on its date, whole-class or of their subgroup in its period (or of a subject
    they are not split in: as the diary shows lessons); to a class they are in today, inside its window, and when
    it names a subgroup, only to its members (their subgroup of the latest period begun)."""
    today = today or clock.today()  # a row filter of the current request: its organization's today
    ta = TeachingAssignment
    member, split = aliased(SubgroupMember), aliased(SubgroupMember)
    in_subgroup = select(member.id).where(member.student_id.in_(student_ids), member.subgroup_id == ta.subgroup_id,
                                          member.period_id == Lesson.period_id).exists()
    not_split = ~select(split.id).where(split.student_id.in_(student_ids), split.subject_id == ta.subject_id,
                                        split.period_id == Lesson.period_id).exists()
    lessons = select(Lesson.id).join(ta, ta.id == Lesson.assignment_id).where(
        _lessons_of_students(student_ids), or_(ta.subgroup_id.is_(None), in_subgroup, not_split))
    classes = select(ClassMembership.class_id).where(
        ClassMembership.student_id.in_(student_ids), ClassMembership.start_date <= today,
        or_(ClassMembership.end_date.is_(None), ClassMembership.end_date >= today),
        ClassMembership.on_leave.is_(False))
    sm, later, sp, later_period = (aliased(SubgroupMember), aliased(SubgroupMember), aliased(Period),
                                   aliased(Period))
    newer = select(later.id).join(later_period, later_period.id == later.period_id).where(
        later.student_id == sm.student_id, later.subject_id == sm.subject_id,
        later_period.start_date > sp.start_date, later_period.start_date <= today).exists()
    subgroups = select(sm.subgroup_id).join(sp, sp.id == sm.period_id).where(
        sm.student_id.in_(student_ids), sp.start_date <= today, ~newer)
    return or_(
        and_(entity.lesson_id.is_not(None), entity.lesson_id.in_(lessons)),
        and_(entity.class_id.in_(classes),
             or_(entity.start_date.is_(None), entity.start_date <= today),
             or_(entity.end_date.is_(None), entity.end_date >= today),
             or_(entity.subgroup_id.is_(None), entity.subgroup_id.in_(subgroups))))


def _children_ids(actor):
    return select(student_parent.c.student_id).where(student_parent.c.parent_id == actor.parent_id)


def _materials_seen(student_ids):
    ma = aliased(MaterialAssignment)
    seen = material_assignments_seen(ma, student_ids)
    return or_(Material.id.in_(select(ma.material_id).where(ma.material_id.is_not(None), seen)),
               Material.id.in_(select(CourseItem.material_id).join(ma, ma.course_id == CourseItem.course_id)
                               .where(seen)))


def _courses_seen(student_ids):
    ma = aliased(MaterialAssignment)
    return Course.id.in_(select(ma.course_id).where(ma.course_id.is_not(None),
                                                    material_assignments_seen(ma, student_ids)))


@rows_of(Material)
def own_or_shared_materials(actor):
    """A teacher's own materials and those his colleagues share."""
    return or_(Material.author_id == actor.staff_id, Material.shared.is_(True)) if actor.staff_id else false()


@rows_of(Material)
def own_materials(actor):
    return Material.author_id == actor.staff_id if actor.staff_id else false()


@rows_of(Material)
def student_materials(actor):
    """The materials assigned to the student (to his lessons, his class, his subgroup, in a course given to them)."""
    return _materials_seen([actor.student_id]) if actor.student_id else false()


@rows_of(Material)
def children_materials(actor):
    return _materials_seen(_children_ids(actor)) if actor.parent_id else false()


@rows_of(Course)
def own_or_shared_courses(actor):
    return or_(Course.author_id == actor.staff_id, Course.shared.is_(True)) if actor.staff_id else false()


@rows_of(Course)
def own_courses(actor):
    return Course.author_id == actor.staff_id if actor.staff_id else false()


@rows_of(Course)
def student_courses(actor):
    return _courses_seen([actor.student_id]) if actor.student_id else false()


@rows_of(Course)
def children_courses(actor):
    return _courses_seen(_children_ids(actor)) if actor.parent_id else false()


@rows_of(MaterialAssignment)
def own_material_assignments(actor):
    """The assignments a teacher made."""
    return MaterialAssignment.assigned_by_id == actor.staff_id if actor.staff_id else false()


@rows_of(MaterialAssignment)
def student_material_assignments(actor):
    return material_assignments_seen(MaterialAssignment, [actor.student_id]) if actor.student_id else false()


@rows_of(MaterialAssignment)
def children_material_assignments(actor):
    return material_assignments_seen(MaterialAssignment, _children_ids(actor)) if actor.parent_id else false()


# -- end row filters: learning materials --


# -- row filters: data requests --
@rows_of(DataRequest)
def own_data_requests(actor):
    """The requests a parent sent himself."""
    return DataRequest.author_id == actor.parent_id if actor.parent_id else false()


@rows_of(DataRequest)
def own_class_data_requests(actor):
    """Requests about the cards a class teacher keeps: his class's students and their parents (the card
    rows of the "student" and "parent" keys)."""
    if not actor.own_class_ids:
        return false()
    students = select(Student.id).where(Student.class_id.in_(actor.own_class_ids))
    parents = select(student_parent.c.parent_id).where(student_parent.c.student_id.in_(students))
    return or_(DataRequest.student_id.in_(students), DataRequest.parent_id.in_(parents))


# -- end row filters: data requests --
# -- row filters: messages --
def _own_user(actor):
    """The actor's account, through his cards (a row filter sees only the actor's cards)."""
    return select(Staff.user_id).where(Staff.id == actor.staff_id).union(
        select(Student.user_id).where(Student.id == actor.student_id),
        select(Parent.user_id).where(Parent.id == actor.parent_id))


@rows_of(Message)
def own_mail(actor):
    """The messages the actor took part in: sent by him (his drafts too) or received (a copy, sent, not deleted);
    nobody else's — the administration's neither (services/messages/mail.py checks the same)."""
    me = _own_user(actor)
    return or_((Message.sender_id.in_(me) & Message.sender_deleted.is_(False)),
               Message.sent_at.is_not(None) & Message.id.in_(
                   select(MessageCopy.message_id).where(MessageCopy.user_id.in_(me), MessageCopy.deleted.is_(False))))


@rows_of(MessageAttachment)
def own_mail_files(actor):
    """The files of the messages the actor took part in."""
    me = _own_user(actor)
    mine = select(Message.id).where(or_(
        Message.sender_id.in_(me) & Message.sender_deleted.is_(False),
        Message.sent_at.is_not(None) & Message.id.in_(
            select(MessageCopy.message_id).where(MessageCopy.user_id.in_(me), MessageCopy.deleted.is_(False)))))
    return MessageAttachment.message_id.in_(mine)


@rows_of(MessageCopy)
def own_questions(actor):
    """The parents' questions addressed to the actor (a class teacher's control page)."""
    return MessageCopy.user_id.in_(select(Staff.user_id).where(Staff.id == actor.staff_id))


# -- row filters: report builder --
@rows_of(SavedReport)
def visible_saved_reports(actor):
    """The builder's saved reports an actor sees: his own and those his colleagues shared."""
    return or_(SavedReport.owner_id == actor.user_id, SavedReport.shared.is_(True)) if actor.user_id \
        else SavedReport.shared.is_(True)


@rows_of(SavedReport)
def own_saved_reports(actor):
    """The builder's saved reports the actor wrote himself."""
    return SavedReport.owner_id == actor.user_id if actor.user_id else false()


# -- end row filters: report builder --
# -- row filters: electronic tests (issue 18.4) --
@rows_of(Quiz)
def own_quizzes(actor):
    """The tests a teacher built himself."""
    return Quiz.author_id == actor.staff_id if actor.staff_id else false()


@rows_of(QuizAssignment)
def own_quiz_assignments(actor):
    """A test given to the classes of a teacher's own teaching assignments."""
    if not actor.staff_id:
        return false()
    return QuizAssignment.assignment_id.in_(select(TeachingAssignment.id).where(
        TeachingAssignment.teacher_id == actor.staff_id))


def _quiz_assignments_of_students(student_ids, today):
    """Tests given to the classes (and subgroups) the students are in today, while their window is open, and
    those they have tried (their results)."""
    now = clock.utcnow()
    in_class = select(TeachingAssignment.id).join(
        ClassMembership, ClassMembership.class_id == TeachingAssignment.class_id).where(
        ClassMembership.student_id.in_(student_ids), ClassMembership.start_date <= today,
        or_(ClassMembership.end_date.is_(None), ClassMembership.end_date >= today),
        ClassMembership.on_leave.is_(False),
        or_(TeachingAssignment.subgroup_id.is_(None), TeachingAssignment.subgroup_id.in_(
            select(SubgroupMember.subgroup_id).where(SubgroupMember.student_id.in_(student_ids)))))
    tried = select(QuizAttempt.quiz_assignment_id).where(QuizAttempt.student_id.in_(student_ids))
    return or_(and_(QuizAssignment.assignment_id.in_(in_class), QuizAssignment.opens_at <= now,
                    QuizAssignment.closes_at > now),
               QuizAssignment.id.in_(tried))


@rows_of(QuizAssignment)
def student_quiz_assignments(actor):
    """A student's tests: given to his class (subgroup), within their window; those he tried."""
    if not actor.student_id:
        return false()
    return _quiz_assignments_of_students([actor.student_id], clock.today())


@rows_of(QuizAssignment)
def children_quiz_assignments(actor):
    """A parent's children's tests."""
    if not actor.parent_id:
        return false()
    return _quiz_assignments_of_students(select(student_parent.c.student_id).where(
        student_parent.c.parent_id == actor.parent_id), clock.today())
# -- row filters: portfolio (issue 18.3) --
@rows_of(Student)
def taught_current_students(actor):
    """Students whose class (now) the teacher teaches."""
    if not actor.staff_id:
        return false()
    return Student.class_id.in_(select(TeachingAssignment.class_id).where(
        TeachingAssignment.teacher_id == actor.staff_id))


def _entries_of(students):
    return PortfolioEntry.student_id.in_(select(Student.id).where(students))


@rows_of(PortfolioEntry)
def own_class_portfolio(actor):
    """Every entry (proposals too) of the students of the classes this person leads."""
    return _entries_of(own_class_students(actor))


@rows_of(PortfolioEntry)
def taught_portfolio(actor):
    """The confirmed entries of a teacher's students, and those he added himself."""
    if not actor.staff_id:
        return false()
    return and_(_entries_of(taught_current_students(actor)),
                or_(PortfolioEntry.status == EntryStatus.CONFIRMED, PortfolioEntry.author_id == actor.user_id))


@rows_of(PortfolioEntry)
def own_portfolio(actor):
    """A student's own entries: the confirmed ones and his proposals (waiting or rejected, with the reason)."""
    return PortfolioEntry.student_id == actor.student_id if actor.student_id else false()


@rows_of(PortfolioEntry)
def children_portfolio(actor):
    """The confirmed entries of a parent's children."""
    if not actor.parent_id:
        return false()
    return and_(_entries_of(own_children(actor)), PortfolioEntry.status == EntryStatus.CONFIRMED)


def _projects_with(students):
    return select(project_participant.c.project_id).where(
        project_participant.c.student_id.in_(select(Student.id).where(students)))


def _own_projects(actor):
    return or_(Project.supervisor_id == actor.staff_id if actor.staff_id else false(),
               Project.created_by_id == actor.user_id if actor.user_id else false())


@rows_of(Project)
def own_class_projects(actor):
    """Projects a participant of which is in a class this person leads, and those he supervises or began."""
    return or_(Project.id.in_(_projects_with(own_class_students(actor))), _own_projects(actor))


@rows_of(Project)
def supervised_projects(actor):
    """Projects the teacher supervises or began."""
    return _own_projects(actor)


@rows_of(Project)
def own_projects_student(actor):
    return Project.id.in_(_projects_with(own_student_card(actor))) if actor.student_id else false()


@rows_of(Project)
def children_projects(actor):
    return Project.id.in_(_projects_with(own_children(actor))) if actor.parent_id else false()


@rows_of(ProjectStage)
def own_class_project_stages(actor):
    return ProjectStage.project_id.in_(select(Project.id).where(own_class_projects(actor)))


@rows_of(ProjectStage)
def supervised_project_stages(actor):
    return ProjectStage.project_id.in_(select(Project.id).where(supervised_projects(actor)))


# -- end row filters: portfolio --


A, HR, DEP, DIR, CT = Role.ADMIN.value, Role.HR.value, Role.DEPUTY.value, Role.DIRECTOR.value, Role.CLASS_TEACHER.value
T, ST, PA = Role.TEACHER.value, Role.STUDENT.value, Role.PARENT.value
SUPER = Role.SUPERADMIN.value
REG = Role.REGION.value

TABLE = {
    # "head_count": the organization's figures on the start page.
    "organization": Entry(Organization, {
        SUPER: Grant(READ | {"create", "edit"}, installation=True),
        A: Grant(READ | {"edit", "head_count"}, rows=own_organization),
        DEP: Grant(READ | {"head_count"}, rows=own_organization),
        DIR: Grant(READ | {"head_count"}, rows=own_organization),
        HR: Grant(READ | {"head_count"}, rows=own_organization),
    }),
    "academic_year": Entry(AcademicYear, {A: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ), HR: Grant(READ)}),
    "period": Entry(Period, {A: Grant(CRUD | {"close_period", "reopen_period"}), DEP: Grant(READ),
                             DIR: Grant(READ), HR: Grant(READ)}),
    "holiday": Entry(Holiday, {A: Grant(CRUD), DEP: Grant(CRUD), DIR: Grant(READ)}),
    "calendar_day": Entry(CalendarDay, {A: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ), HR: Grant(READ)}),
    "room": Entry(Room, {A: Grant(CRUD), DEP: Grant(READ)}),
    "position": Entry(Position, {A: Grant(CRUD), HR: Grant(READ)}),
    "department": Entry(Department, {A: Grant(CRUD), HR: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ)}),
    "specialty": Entry(Specialty, {A: Grant(CRUD), HR: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ)}),
    "school_class": Entry(SchoolClass, {
        A: Grant(CRUD | {"export", "transfer_next_year"}), HR: Grant(CRUD | {"export", "transfer_next_year"}),
        DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"}),
        CT: Grant(READ, rows=own_class_rows),
    }),
    "staff": Entry(Staff, {
        A: Grant(CRUD | {"export"} | LOGIN_ACTIONS), HR: Grant(CRUD | {"export"}),
        DEP: Grant(READ), DIR: Grant(READ),
    }),
    # The functions (roles) written on staff cards (rows: Staff) are access rights. "edit" appoints
    # staff to the duties of the regulation: the director does it (seed 000 §1.4, §3.1, §4.8), and the
    # administrator, who sets access rights (§4.1). "admin_rights": giving or taking the administrator's
    # and the director's functions, also by dismissing, re-hiring or deleting such a card
    # (services/people/cards.py check_staff_change): the administrator only.
    "staff_function": Entry(Staff, {A: Grant(READ | {"edit", "admin_rights"}), DIR: Grant(READ | {"edit"})}),
    # "any_class": a student card placed in any open class (a class teacher places in his own only).
    "student": Entry(Student, {
        A: Grant(CRUD | {"export", "any_class"} | LOGIN_ACTIONS), HR: Grant(CRUD | {"export", "any_class"}),
        DEP: Grant(READ), DIR: Grant(READ),
        CT: Grant(READ | {"edit"} | LOGIN_ACTIONS, rows=own_class_students),
    }),
    "parent": Entry(Parent, {
        A: Grant(CRUD | {"export"} | LOGIN_ACTIONS), HR: Grant(CRUD | {"export"}),
        DEP: Grant(READ), DIR: Grant(READ),
        CT: Grant(READ | {"create", "edit"} | LOGIN_ACTIONS, rows=own_class_parents),
    }),
    # "all_accounts": every account, whatever cards are behind it, the installation administrators' own
    # included (only they reset the password of, or block, one of them).
    # «Импорт и выгрузка данных» (issue 17.1–17.2): "import" loads a file of a kind whose records the role may
    # create (the kind's own key, e.g. "student"), "export" writes the organization's records of a kind the
    # role may export; the administrator, and HR for the people (its keys decide which kinds).
    "data_import": Entry(None, {A: Grant(READ | {"import", "export"}), HR: Grant(READ | {"import", "export"})}),
    "user": Entry(User, {
        SUPER: Grant(READ | {"reset_password", "block", "unblock", "all_accounts"}, installation=True),
        A: Grant(READ | {"reset_password", "block", "unblock"}, rows=organization_users),
    }),
    "audit_log": Entry(AuditLog, {SUPER: Grant(READ | {"export"}, installation=True), A: Grant(READ | {"export"})}),
    # Reads of personal data (152-ФЗ art. 19): seen by those who see the change log.
    "access_log": Entry(AccessLog, {SUPER: Grant(READ | {"export"}, installation=True), A: Grant(READ | {"export"})}),
    "login_event": Entry(LoginEvent, {
        SUPER: Grant(READ | {"export"}, installation=True),
        A: Grant(READ | {"export"}, rows=organization_login_events, installation=True),
    }),
    # -- planning --
    "educational_area": Entry(EducationalArea, {A: Grant(CRUD), DEP: Grant(CRUD), DIR: Grant(READ), T: Grant(READ)}),
    "subject": Entry(Subject, {
        A: Grant(CRUD | {"export"}), DEP: Grant(CRUD | {"export"}), DIR: Grant(READ | {"export"}),
        HR: Grant(READ), T: Grant(READ),
    }),
    "curriculum": Entry(Curriculum, {A: Grant(CRUD | {"copy", "export"}), DEP: Grant(CRUD | {"copy", "export"}),
                                     DIR: Grant(READ | {"export"})}),
    "teaching_assignment": Entry(TeachingAssignment, {
        A: Grant(CRUD | {"export"}), DEP: Grant(CRUD | {"export"}), DIR: Grant(READ | {"export"}),
        T: Grant(READ, rows=own_assignments), CT: Grant(READ, rows=own_class_assignments),
    }),
    "subgroup": Entry(Subgroup, {
        A: Grant(CRUD), DEP: Grant(CRUD), DIR: Grant(READ),
        CT: Grant(READ | {"create", "edit"}, rows=own_class_subgroups),
        T: Grant(READ | {"create", "edit"}, rows=taught_subgroups),
    }),
    # "author": the teacher who writes his own КТП.
    "thematic_plan": Entry(ThematicPlan, {
        A: Grant(READ | {"export"}), DEP: Grant(READ | {"export"}), DIR: Grant(READ),
        T: Grant(CRUD | {"copy", "export", "author"}, rows=own_thematic_plans),
    }),
    "ktp_control": Entry(TeachingAssignment, {A: Grant(READ), DEP: Grant(READ), DIR: Grant(READ)}),
    # -- end planning --
    # -- timetable --
    "bell": Entry(Bell, {A: Grant(CRUD), DEP: Grant(CRUD), DIR: Grant(READ)}),
    # The weekly timetable (pages by class, teacher, room): "edit" is the grid, "generate" makes lessons,
    # "all" picks any class, teacher and room, "own_lessons" is a teacher's own timetable (by teacher).
    "timetable": Entry(TimetableEntry, {
        A: Grant(READ | {"edit", "export", "generate", "all"}),
        DEP: Grant(READ | {"edit", "export", "generate", "all"}),
        DIR: Grant(READ | {"export", "all"}),
        CT: Grant(READ | {"export"}, rows=own_class_timetable),
        T: Grant(READ | {"export", "own_lessons"}, rows=own_lessons_timetable),
        ST: Grant(READ, rows=student_timetable), PA: Grant(READ, rows=children_timetable),
    }),
    "timetable_change": Entry(TimetableChange, {
        A: Grant(CRUD | {"export"}), DEP: Grant(CRUD | {"export"}), DIR: Grant(READ | {"export"}),
        CT: Grant(READ, rows=own_class_changes), T: Grant(READ, rows=own_lessons_changes),
        ST: Grant(READ, rows=student_changes), PA: Grant(READ, rows=children_changes),
    }),
    "exam_entry": Entry(ExamEntry, {
        A: Grant(CRUD | {"export"}), DEP: Grant(CRUD | {"export"}), DIR: Grant(READ | {"export"}),
        CT: Grant(READ, rows=own_class_exams), T: Grant(READ, rows=own_exams),
        ST: Grant(READ, rows=student_exams), PA: Grant(READ, rows=children_exams),
    }),
    # -- end timetable --
    # -- journal --
    # The grid of one teaching assignment. "edit": the teacher's own journals; "correct": the deputy's
    # and administrator's audited corrections (services/journal/period_marks.py).
    "journal": Entry(TeachingAssignment, {
        T: Grant(READ | {"edit"}, rows=own_or_substituted_journals), CT: Grant(READ, rows=own_class_assignments),
        DEP: Grant(READ | {"correct"}), DIR: Grant(READ), A: Grant(READ | {"correct"}),
    }),
    # The journal's dictionaries, edited by the administrator.
    "task_type": Entry(TaskType, {A: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ)}),
    "attendance_code": Entry(AttendanceCode, {A: Grant(CRUD), DEP: Grant(READ), DIR: Grant(READ)}),
    # A class's journal of all subjects and its summary.
    "class_journal": Entry(SchoolClass, {CT: Grant(READ, rows=own_class_rows), DEP: Grant(READ), DIR: Grant(READ),
                                         A: Grant(READ)}),
    # The yearly archive of the class journal (issue 13.8): a class teacher prints his class's, the
    # administration any class's and ("all") the whole organization's in one go.
    "journal_archive": Entry(SchoolClass, {CT: Grant(READ, rows=own_class_rows), DEP: Grant(READ | {"all"}),
                                           DIR: Grant(READ | {"all"}), A: Grant(READ | {"all"})}),
    # «Данные для ФИС «Контингент»» (issue 17.6, seed 000 §4.3): the class teacher checks his class's cards in the
    # first week of September, the administration every class; the administrator exports the contingent
    # ("export": services/people/contingent.py, docs/CONTINGENT.md).
    "contingent": Entry(SchoolClass, {CT: Grant(READ, rows=own_class_rows), HR: Grant(READ), DEP: Grant(READ),
                                      DIR: Grant(READ), A: Grant(READ | {"export"})}),
    # Absence reasons of a class's students.
    "absence_reason": Entry(Student, {CT: Grant(READ | {"edit"}, rows=own_class_students), DEP: Grant(READ),
                                      A: Grant(READ)}),
    # The history of one cell of the grid (a mark of a task and a student).
    "cell_history": Entry(Mark, {DEP: Grant(READ), A: Grant(READ)}),
    # The diary: a student his own, a parent his children.
    "diary": Entry(Student, {ST: Grant(READ, rows=own_student_card), PA: Grant(READ, rows=own_children)}),
    # A student's diary opened from his card by those who read all journals (SPEC §1: the deputy and
    # the director). Each opening is a logged read (152-ФЗ art. 19).
    "student_diary": Entry(Student, {DEP: Grant(READ), DIR: Grant(READ)}),
    # Files of a lesson's homework and topic (issue 16.6): the lesson's teachers attach them ("create",
    # "delete"); the class teacher, the administration, the class's students and their parents read them.
    "lesson_file": Entry(Lesson, {
        T: Grant(CRUD, rows=own_or_substituted_lessons), CT: Grant(READ, rows=own_class_lessons),
        DEP: Grant(READ), DIR: Grant(READ), A: Grant(READ),
        ST: Grant(READ, rows=student_lessons), PA: Grant(READ, rows=children_lessons),
    }),
    # «Отметка ошибочна» (seed 000 §4.4): a student or a parent flags a mark of his diary ("create": the
    # diary's row filter says whose marks) and reads his flags; the teacher answers those of his journals;
    # the deputy (who corrects closed periods) answers any; the director reads them.
    "mark_flag": Entry(MarkFlag, {
        ST: Grant(READ | {"create"}, rows=own_flags), PA: Grant(READ | {"create"}, rows=own_flags),
        T: Grant(READ | {"answer"}, rows=own_journal_flags), DEP: Grant(READ | {"answer"}), DIR: Grant(READ),
    }),
    # -- end journal --
    # -- rollover and control --
    # The year rollover wizard ("run" performs a step) and the colleges' transfer between semesters.
    "year_rollover": Entry(AcademicYear, {A: Grant(READ | {"run"}), DIR: Grant(READ)}),
    "semester_transfer": Entry(AcademicYear, {A: Grant(READ | {"run"}), DEP: Grant(READ), DIR: Grant(READ)}),
    # The «Контроль» page (no rows of its own), and what each role finds on it.
    "control": Entry(None, {A: Grant(READ), HR: Grant(READ), DEP: Grant(READ), DIR: Grant(READ), CT: Grant(READ),
                            T: Grant(READ)}),
    "control_cards": Entry(Student, {HR: Grant(READ), DIR: Grant(READ), CT: Grant(READ, rows=own_class_students)}),
    "control_accounts": Entry(Student, {A: Grant(READ), DIR: Grant(READ), CT: Grant(READ, rows=own_class_students)}),
    "control_staff": Entry(Staff, {A: Grant(READ), HR: Grant(READ), DIR: Grant(READ)}),  # accounts, cards
    "control_absences": Entry(Student, {CT: Grant(READ, rows=own_class_students), DEP: Grant(READ),
                                        DIR: Grant(READ)}),
    "control_lessons": Entry(Lesson, {T: Grant(READ, rows=own_given_lessons), DEP: Grant(READ), DIR: Grant(READ)}),
    "control_period_marks": Entry(TeachingAssignment, {T: Grant(READ, rows=own_assignments), DEP: Grant(READ),
                                                       DIR: Grant(READ)}),
    "control_ktp": Entry(TeachingAssignment, {T: Grant(READ, rows=own_assignments), DEP: Grant(READ),
                                              DIR: Grant(READ)}),
    "control_planning": Entry(Curriculum, {DEP: Grant(READ), A: Grant(READ), DIR: Grant(READ)}),  # and timetable
    "control_holidays": Entry(Holiday, {DEP: Grant(READ), A: Grant(READ), DIR: Grant(READ)}),
    "control_year": Entry(AcademicYear, {A: Grant(READ), DIR: Grant(READ)}),  # the new year, the organization card
    # E-mails of the organization given up after every retry (services/notify_send.py).
    "control_notifications": Entry(Notification, {A: Grant(READ)}),
    # Issue 17.5: the movement book's orders (seed 001 §9.2, seed 000 §4.2), homework on lessons (seed 001 §8.10),
    # the reports of the regulations (seed 001 §§10.3–10.4, seed 000 §6.1): the school's, a class's, a teacher's.
    "control_movement": Entry(MovementOrder, {A: Grant(READ), HR: Grant(READ), DEP: Grant(READ), DIR: Grant(READ)}),
    "control_homework": Entry(Lesson, {T: Grant(READ, rows=own_given_lessons), DEP: Grant(READ), DIR: Grant(READ)}),
    "control_reports_school": Entry(ReportBuild, {A: Grant(READ), DEP: Grant(READ), DIR: Grant(READ)}),
    "control_reports_class": Entry(SchoolClass, {CT: Grant(READ, rows=own_class_rows), A: Grant(READ),
                                                 DEP: Grant(READ), DIR: Grant(READ)}),
    "control_reports_teacher": Entry(TeachingAssignment, {T: Grant(READ, rows=own_assignments), DEP: Grant(READ),
                                                          DIR: Grant(READ)}),
    # «Сроки регламента»: the organization's values of those deadlines; its administrator adjusts them.
    "deadline_rule": Entry(DeadlineRule, {A: Grant(READ | {"edit"}), DEP: Grant(READ), DIR: Grant(READ)}),
    # -- end rollover and control --
    # «Мои задания» (services/jobs/): every user lists, follows, downloads and repeats his own background jobs
    # (services/jobs/core.py `own`: another's job is «не найдено»); no role reads another's.
    "jobs": Entry(None, {**{role: Grant(READ | {"retry"}) for role in (A, HR, DEP, DIR, CT, T, ST, PA, REG)},
                         SUPER: Grant(READ | {"retry"}, installation=True)}),
    # -- messages (issue 16.1–2) --
    # The mail: every role writes ("create") and reads his own mail; who may write to whom is
    # services/messages/rules.py, who reads a message is its participants only (services/messages/mail.py):
    # no role, the administrator's neither, lists the messages of others.
    "messages": Entry(Message, {role: Grant(READ | {"create"}, rows=own_mail)
                                for role in (A, HR, DEP, DIR, CT, T, ST, PA)}),
    "message_files": Entry(MessageAttachment, {role: Grant(READ, rows=own_mail_files)
                                               for role in (A, HR, DEP, DIR, CT, T, ST, PA)}),
    # Parents' questions unanswered after 3 days (seed 000 §3.4) on the control and start pages: a class
    # teacher his own, the administration everyone's (who asked whom and when, never the text).
    "control_questions": Entry(MessageCopy, {CT: Grant(READ, rows=own_questions), A: Grant(READ), DEP: Grant(READ),
                                             DIR: Grant(READ)}),
    # -- movement --
    # The movement book: "apply" «Провести приказ», "cancel" «Отменить приказом», "year_transfer" builds
    # the draft orders of the transfer to the next year.
    "movement_order": Entry(MovementOrder, {
        A: Grant(CRUD | {"apply", "cancel", "year_transfer", "export"}),
        HR: Grant(CRUD | {"apply", "cancel", "year_transfer", "export"}),
        DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"}),
    }),
    # The students' class history as of any date, kept by the orders only.
    "class_membership": Entry(ClassMembership, {
        A: Grant(READ | {"export"}), HR: Grant(READ | {"export"}), DEP: Grant(READ | {"export"}),
        DIR: Grant(READ | {"export"}), CT: Grant(READ, rows=own_class_memberships),
    }),
    # Reports: «Наполняемость классов», «Движение учащихся по школе».
    "report_class_fill": Entry(SchoolClass, {A: Grant(READ | {"export"}), HR: Grant(READ | {"export"}),
                                             DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"})}),
    "report_movement": Entry(SchoolClass, {A: Grant(READ | {"export"}), HR: Grant(READ | {"export"}),
                                           DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"})}),
    # -- end movement --
    # -- reports --
    # SPEC §4, seed 001 §10.1: the institution's reports for the administration; a class's and a
    # subject's for the teachers who work in the class; a student's for himself, his parents and the
    # teachers of his class. "export": .xlsx and JSON; "own_report": a teacher's report opens on himself.
    "report_class": Entry(SchoolClass, {
        A: Grant(READ | {"export"}), DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"}),
        CT: Grant(READ | {"export"}, rows=own_class_rows), T: Grant(READ | {"export"}, rows=taught_classes)}),
    "report_teacher": Entry(TeachingAssignment, {
        A: Grant(READ | {"export"}), DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"}),
        T: Grant(READ | {"export", "own_report"}, rows=own_assignments)}),
    "report_student": Entry(Student, {
        A: Grant(READ | {"export"}), DEP: Grant(READ | {"export"}), DIR: Grant(READ | {"export"}),
        CT: Grant(READ | {"export"}, rows=own_class_history_students),
        T: Grant(READ | {"export"}, rows=taught_students),
        ST: Grant(READ | {"export"}, rows=own_student_card),
        PA: Grant(READ | {"export"}, rows=own_children)}),
    "report_school": Entry(SchoolClass, {A: Grant(READ | {"export"}), DEP: Grant(READ | {"export"}),
                                         DIR: Grant(READ | {"export"})}),
    # «Отчёт по активности пользователей» (seed 000 §4.1, §4.3, §6.1): the administration the whole organization
    # ("whole_org": the staff too), a class teacher the students and parents of his classes.
    "report_activity": Entry(SchoolClass, {
        A: Grant(READ | {"export", "whole_org"}), DEP: Grant(READ | {"export", "whole_org"}),
        DIR: Grant(READ | {"export", "whole_org"}), CT: Grant(READ | {"export"}, rows=own_class_rows)}),
    # The federal statistical form ОО-1 (СПО-1 in a college), seed 001 §10.3: the administration; a cell's list
    # of students or staff goes through "student" / "staff" rows as well.
    "report_oo1": Entry(SchoolClass, {A: Grant(READ | {"export"}), DEP: Grant(READ | {"export"}),
                                      DIR: Grant(READ | {"export"})}),
    # -- end reports --
    # -- notifications --
    # «Очередь уведомлений»: the organization's queued, sent and failed e-mails, read-only (the sending side's
    # failures shown to the administrator). Everyone's own choices are the page «Уведомления» (signed in).
    "notification": Entry(Notification, {A: Grant(READ)}),
    # -- end notifications --
    # -- data requests --
    # Requests to correct personal data (seed 000 §4.5): a parent sends ("create") and reads his own; the class
    # teacher (his class's cards) and HR (every card) read and "answer" them: the change made or refused.
    "data_request": Entry(DataRequest, {
        PA: Grant(READ | {"create"}, rows=own_data_requests),
        CT: Grant(READ | {"answer"}, rows=own_class_data_requests),
        HR: Grant(READ | {"answer"}),
    }),
    "control_requests": Entry(DataRequest, {CT: Grant(READ, rows=own_class_data_requests), HR: Grant(READ)}),
    # -- end data requests --
    # -- announcements --
    # Reading: the administration every announcement of the organization, everyone else those that concern him.
    # Publishing ("announcement_edit"): the administration any kind ("publish_any"), a class teacher only for
    # his own class (services/announcements/board.py checks the class) and edits only his own.
    "announcement": Entry(Announcement, {
        A: Grant(READ), DEP: Grant(READ), DIR: Grant(READ), HR: Grant(READ, rows=concerned_announcements),
        CT: Grant(READ, rows=concerned_announcements), T: Grant(READ, rows=concerned_announcements),
        ST: Grant(READ, rows=concerned_announcements), PA: Grant(READ, rows=concerned_announcements)}),
    "announcement_edit": Entry(Announcement, {
        A: Grant(CRUD | {"publish_any"}), DEP: Grant(CRUD | {"publish_any"}), DIR: Grant(CRUD | {"publish_any"}),
        CT: Grant(CRUD, rows=own_announcements)}),
    # -- end announcements --
    # -- paper reports (seed 001 §8.12) --
    # «Заявления на бумажный отчёт»: the class teacher records his class's; the administration any. A request
    # is never deleted: its end (the withdrawal) is an edit. The weekly print: the administrator and the deputy.
    "paper_report_request": Entry(PaperReportRequest, {
        A: Grant(READ | {"create", "edit"}), DEP: Grant(READ | {"create", "edit"}), DIR: Grant(READ),
        CT: Grant(READ | {"create", "edit"}, rows=own_class_paper_requests)}),
    "paper_report_print": Entry(PaperReportPrint, {A: Grant(READ | {"create"}), DEP: Grant(READ | {"create"}),
                                                   DIR: Grant(READ)}),
    "control_paper_reports": Entry(PaperReportPrint, {A: Grant(READ), DEP: Grant(READ), DIR: Grant(READ)}),
    # -- end paper reports --
    # -- learning materials (issue 18.4, seed 001 stage IV) --
    # Reading ("material", "course"): a teacher his own and his colleagues' shared ones, the administration every
    # one of the organization ("library": the page «Учебные материалы»), a student and a parent only what is
    # assigned to him (his child), from the diary. Keeping them
    # ("material_edit", "course_edit"): a teacher his own. Assigning ("material_assignment"): a teacher, to a
    # lesson he gives or a class he teaches the subject in (services/learning/materials.py); he removes his own.
    "material": Entry(Material, {
        T: Grant(READ | {"library"}, rows=own_or_shared_materials), DEP: Grant(READ | {"library"}),
        DIR: Grant(READ | {"library"}), A: Grant(READ | {"library"}),
        ST: Grant(READ, rows=student_materials), PA: Grant(READ, rows=children_materials)}),
    "material_edit": Entry(Material, {T: Grant(CRUD, rows=own_materials)}),
    "course": Entry(Course, {
        T: Grant(READ, rows=own_or_shared_courses), DEP: Grant(READ), DIR: Grant(READ), A: Grant(READ),
        ST: Grant(READ, rows=student_courses), PA: Grant(READ, rows=children_courses)}),
    "course_edit": Entry(Course, {T: Grant(CRUD, rows=own_courses)}),
    "material_assignment": Entry(MaterialAssignment, {
        T: Grant(CRUD, rows=own_material_assignments), DEP: Grant(READ), DIR: Grant(READ), A: Grant(READ),
        ST: Grant(READ, rows=student_material_assignments), PA: Grant(READ, rows=children_material_assignments)}),
    # -- end learning materials --
    # -- report builder (issue 18.1, seed 001 §10.5) --
    # «Конструктор отчётов»: the administrator and the deputy (a class teacher too: he reads only what the
    # entities' own keys give him, his class). Rows: the saved reports he sees (his own and the shared ones).
    # Each entity reads through its own key's row filters, each column needs its key's verb
    # (services/report_builder/catalogue.py). "report_builder_own": a saved report is changed and deleted by
    # its author only.
    "report_builder": Entry(SavedReport, {
        role: Grant(READ | {"create", "export"}, rows=visible_saved_reports) for role in (A, DEP, CT)}),
    "report_builder_own": Entry(SavedReport, {
        role: Grant(READ | {"edit", "delete"}, rows=own_saved_reports) for role in (A, DEP, CT)}),
    # -- end report builder --
    # -- electronic tests (issue 18.4, seed 001 stage IV) --
    # A teacher builds his own tests ("quiz"), gives them to the classes of his teaching assignments, sees the
    # results, re-scores an answer ("rescore") and puts the marks into the journal ("push": the journal's rules
    # apply); the administration reads. A student takes ("take") the tests given to his class within their
    # window; a parent reads his children's results and cannot take them.
    "quiz": Entry(Quiz, {T: Grant(CRUD, rows=own_quizzes), DEP: Grant(READ), DIR: Grant(READ)}),
    "quiz_assignment": Entry(QuizAssignment, {
        T: Grant(CRUD | {"rescore", "push"}, rows=own_quiz_assignments), DEP: Grant(READ), DIR: Grant(READ)}),
    "quiz_take": Entry(QuizAssignment, {ST: Grant(READ | {"take"}, rows=student_quiz_assignments),
                                        PA: Grant(READ, rows=children_quiz_assignments)}),
    # -- end electronic tests --
    # -- portfolio (issue 18.3, seed 000 §3.4, §4.3) --
    # Whose portfolio one opens ("list"), adds entries to ("create") or proposes his own entries in ("propose"):
    # the administration any student's, a class teacher his class's, a teacher the students of the classes he
    # teaches, a student his own, a parent his children's.
    "portfolio_student": Entry(Student, {
        A: Grant(READ | {"create"}), DEP: Grant(READ | {"create"}), DIR: Grant(READ),
        CT: Grant(READ | {"create"}, rows=own_class_students),
        T: Grant(READ | {"create"}, rows=taught_current_students),
        ST: Grant(READ | {"propose"}, rows=own_student_card), PA: Grant(READ, rows=own_children)}),
    # The entries: the administration and the class teacher see all of theirs and "confirm" (or reject) the
    # students' proposals; a teacher the confirmed ones and his own; a parent the confirmed ones of his children;
    # a student his own. Changing an entry: the class teacher and the administration, or its author
    # (services/portfolio/entries.py).
    "portfolio": Entry(PortfolioEntry, {
        A: Grant(CRUD | {"confirm"}), DEP: Grant(CRUD | {"confirm"}), DIR: Grant(READ),
        CT: Grant(CRUD | {"confirm"}, rows=own_class_portfolio), T: Grant(CRUD, rows=taught_portfolio),
        ST: Grant(READ | {"delete"}, rows=own_portfolio), PA: Grant(READ, rows=children_portfolio)}),
    # Projects («портфолио проектов»): the administration all; a class teacher those of his class's students and
    # his own; a teacher those he supervises or began; participants and their parents read theirs.
    "portfolio_project": Entry(Project, {
        A: Grant(CRUD), DEP: Grant(CRUD), DIR: Grant(READ),
        CT: Grant(CRUD, rows=own_class_projects), T: Grant(CRUD, rows=supervised_projects),
        ST: Grant(READ, rows=own_projects_student), PA: Grant(READ, rows=children_projects)}),
    "portfolio_stage": Entry(ProjectStage, {
        A: Grant(CRUD), DEP: Grant(CRUD), DIR: Grant(READ),
        CT: Grant(CRUD, rows=own_class_project_stages), T: Grant(CRUD, rows=supervised_project_stages)}),
    # -- end portfolio --
    # -- the regional layer (issue 20.1) --
    # The installation administrator keeps the regions, municipalities and regional specialists' cards
    # (which organization is in which municipality: the organization's card, "organization" above).
    "region": Entry(Region, {SUPER: Grant(CRUD, installation=True)}),
    "municipality": Entry(Municipality, {SUPER: Grant(CRUD, installation=True)}),
    "region_staff": Entry(RegionStaff, {SUPER: Grant(CRUD, installation=True)}),
    # A regional specialist: the aggregate roll-ups of his scope's organizations, nothing else of theirs
    # (no key above names the role: no person, journal, diary, file or message of any child).
    "region_report": Entry(Organization, {REG: Grant(READ | {"export"}, rows=region_organizations,
                                                     installation=True)}),
}


def check_entry(view, entry):
    """A key's shape: an Entry of Grants whose row filters are all conditions on the key's model."""
    if not isinstance(entry, Entry) or not all(isinstance(g, Grant) for g in entry.values()):
        raise TypeError(f"permission table: {view!r} is not an Entry(model, {{role: Grant}})")
    for role, grant in entry.items():
        model = getattr(grant.rows, "model", None)
        if grant.rows is not None and (model is None or model is not entry.model):
            raise TypeError(f"permission table: {view!r} reaches {getattr(entry.model, '__name__', None)} rows, "
                            f"but the {role!r} filter {grant.rows.__name__} is a condition on "
                            f"{getattr(model, '__name__', None)} rows")


def _check_table():
    for view, entry in TABLE.items():
        check_entry(view, entry)


_check_table()


def check_rows(view, model):
    """`model` is what the table's `view` key reaches (a view or an endpoint declaring its rows)."""
    entry = TABLE[view]
    if model is not entry.model:
        raise TypeError(f"permission table: {view!r} reaches {getattr(entry.model, '__name__', None)} rows, "
                        f"not {getattr(model, '__name__', model)}")


def grants(actor, view, verb):
    """The grants of the actor's roles that allow `verb` on `view`."""
    table = TABLE[view]
    return [table[r] for r in sorted(actor.roles) if r in table and verb in table[r].verbs]


def allowed(actor, view, verb):
    if actor is None:
        return False
    return actor.system or bool(grants(actor, view, verb))


def row_condition(actor, view, verb, model):
    """The SQL condition that limits `model` rows to those `actor` may `verb`; raises if none."""
    if TABLE[view].filtered:
        check_rows(view, model)  # a row filter is a condition on its key's model, never another's
    if actor.system:
        return model.org_id == actor.org_id if actor.org is not None and hasattr(model, "org_id") else true()
    parts = []
    for grant in grants(actor, view, verb):
        conds = []
        if not grant.installation and hasattr(model, "org_id"):
            conds.append(model.org_id == actor.org_id)
        if grant.rows is not None:
            conds.append(grant.rows(actor))
        if not conds:
            return true()
        parts.append(conds[0] if len(conds) == 1 else conds[0] & conds[1])
    if not parts:
        raise PermissionDenied()
    return or_(*parts) if len(parts) > 1 else parts[0]


def reachable(actor, view, verb, model):
    """row_condition(), or no row at all when the verb is not granted (a form's choices)."""
    return row_condition(actor, view, verb, model) if allowed(actor, view, verb) else false()


def require(actor, view, verb):
    if not allowed(actor, view, verb):
        raise PermissionDenied()


def scoped_ids(actor, view, verb, model, ids):
    """Re-select ids through the actor's rows: anything outside is silently dropped (every id, when
    the verb is not granted at all)."""

    wanted = [pk for pk in map(parse_id, ids) if pk is not None]
    if not wanted or not allowed(actor, view, verb):
        return []
    cond = row_condition(actor, view, verb, model)
    return list(db.session.scalars(select(model.id).where(model.id.in_(wanted), cond).order_by(model.id)))


def require_rows(actor, view, verb, model, ids):
    """Every id must be reachable by the actor for the verb, or nothing happens."""
    require(actor, view, verb)
    ids = [parse_id(i) for i in ids]
    if None in ids or set(scoped_ids(actor, view, verb, model, ids)) != set(ids):
        raise PermissionDenied("Нет доступа к одной или нескольким выбранным записям.")
    return ids


def abort_unless(actor, view, verb):
    if not allowed(actor, view, verb):
        abort(403)
