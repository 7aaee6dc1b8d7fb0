"""The demo's regulation deadlines (issue 17.5): the organization's «Сроки регламента» made from the seeds' values, and
the reports built so far, so the control page's «Отчёты по регламенту» shows both kinds of fact: the demo class
teacher's class (classes[1]) built its period reports three days after each ended period its lessons ran in, its
preliminary report three weeks ago (overdue now) and its attendance report ten days ago (on time); the deputy built
the summary reports five days after each ended period (late); the administrator's last «Отчёт по активности
пользователей» was 16 days ago (overdue). Rows of models.ReportBuild as reports/document.log_read writes them,
inside the demo's one transaction."""
from datetime import datetime, timedelta

from sqlalchemy import select

from models import Lesson, Period, ReportBuild, TeachingAssignment, db
from services.control import deadlines, rules as deadline_rules


def _at(day):
    return datetime.combine(day, datetime.min.time()).replace(hour=9)


def create_deadlines_demo(org, year, classes, today, class_teacher, deputy, admin):
    deadline_rules.ensure_rows(org.id)
    if len(classes) < 2 or today <= year.start_date:
        return
    klass = classes[1]

    def built(report, day, user, **ids):
        if year.start_date <= day <= today:
            db.session.add(ReportBuild(org_id=org.id, report=report, user_id=user.user_id, built_at=_at(day), **ids))

    ran = set(db.session.scalars(select(Lesson.period_id).distinct().join(
        TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(TeachingAssignment.class_id == klass.id)))
    ended = db.session.scalars(select(Period).where(Period.year_id == year.id, Period.end_date < today)
                               .order_by(Period.end_date)).all()
    for period in ended:
        late = period.end_date + timedelta(days=3)
        if period.id in ran:
            for group in deadlines.CLASS_PERIOD_REPORTS:
                built(group[0], late, class_teacher, class_id=klass.id, period_id=period.id)
        for report in deadlines.SUMMARY_REPORTS:
            built(report, period.end_date + timedelta(days=5), deputy, period_id=period.id)
    built(deadlines.PRELIMINARY_REPORT, today - timedelta(days=21), class_teacher, class_id=klass.id)
    built(deadlines.ATTENDANCE_REPORT, today - timedelta(days=10), class_teacher, class_id=klass.id)
    built("students-summary-class", year.start_date + timedelta(days=20), class_teacher, class_id=klass.id)
    built(deadlines.ACTIVITY_REPORT, today - timedelta(days=16), admin)
    db.session.flush()
