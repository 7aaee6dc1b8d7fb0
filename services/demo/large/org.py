"""The organization, its calendar (years, quarters, holidays), its subjects and every year's classes."""
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from models import AcademicYear, AttendanceCode, EducationalArea, Holiday, Period, SchoolClass, Subject, TaskType, db
from services.org import orgs
from services.demo.school import school_calendar
from services.demo.large.data import AREAS, PLAN, SUBJECTS


class OrgSteps:
    """The organization, its calendar, subjects and classes (a step of _School)."""

    def _organization(self):
        n = self.number
        self.org = orgs.create_organization(
            kind="school",
            full_name="Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная "
                      f"школа № {6 + n}»",
            short_name=f"МБОУ «СОШ № {6 + n}»",
            address=f"624250, Свердловская обл., г. Заречный, ул. Ленина, д. {10 + 2 * n}",
            phone=f"+7 (34377) 3-{10 + n % 90}-45", email=f"school{6 + n}@example.ru", inn=f"66{n:08d}",
            licence_number=f"19{n:03d}", licence_date=date(2016, 3, 14),
            licence_issued_by="Министерство образования и молодёжной политики Свердловской области",
            accreditation_number=f"90{n:02d}", accreditation_date=date(2016, 5, 23),
            accreditation_valid_until=date(2028, 5, 23))
        db.session.flush()  # the official calendar, task types and attendance codes come with it
        self.types = {t.name: t for t in db.session.scalars(select(TaskType).where(TaskType.org_id == self.org.id))}
        self.codes = {c.code: c.id for c in db.session.scalars(
            select(AttendanceCode).where(AttendanceCode.org_id == self.org.id))}

    def _calendar(self):
        """Years, quarters and holidays: the demo school's calendar, every year."""
        self.years = []
        for start in self.starts:
            year_id = self.w.ids(AcademicYear)
            ptype, periods, holidays = school_calendar(start)
            closed = start < self.starts[-1]
            end = date(start + 1, 6, 30)
            today = self.today if not closed else end + timedelta(days=1)
            self.w.add(AcademicYear, dict(id=year_id, org_id=self.org.id, name=f"{start}/{start + 1}",
                                          start_date=date(start, 9, 1), end_date=end, is_closed=closed))
            quarters = []
            for number, name, p_start, p_end in periods:
                pid = self.w.ids(Period)
                finished = p_end < today
                self.w.add(Period, dict(id=pid, org_id=self.org.id, year_id=year_id, type=ptype, number=number,
                                        name=name, start_date=p_start, end_date=p_end, is_closed=finished))
                quarters.append(SimpleNamespace(id=pid, number=number, name=name, start=p_start, end=p_end,
                                                type=ptype, finished=finished))
            for name, h_start, h_end in holidays:
                self.w.add(Holiday, dict(id=self.w.ids(Holiday), org_id=self.org.id, year_id=year_id, name=name,
                                         start_date=h_start, end_date=h_end, period_type=None, grade_from=None,
                                         grade_to=None))
            self.years.append(SimpleNamespace(
                id=year_id, start=start, name=f"{start}/{start + 1}", start_date=date(start, 9, 1), end_date=end,
                periods=quarters, today=today, closed=closed, complete=all(q.finished for q in quarters)))
        self.w.flush(AcademicYear, Period, Holiday)

    def _subjects(self):
        self.plan = {}
        for grade, _count in self.scale.layout:
            self.plan[grade] = PLAN[grade][:self.scale.subjects] if self.scale.subjects else PLAN[grade]
        used = {s for rows in self.plan.values() for s, _ in rows}
        areas = {}
        for i, name in enumerate(AREAS):
            if any(SUBJECTS[s][1] == i for s in used):
                areas[i] = self.w.ids(EducationalArea)
                self.w.add(EducationalArea, dict(id=areas[i], org_id=self.org.id, name=name, sort_order=i))
        self.subjects = {}
        for order, (name, (short, area, grading)) in enumerate(SUBJECTS.items()):
            if name in used:
                sid = self.w.ids(Subject)
                self.subjects[name] = SimpleNamespace(id=sid, name=name, grading=grading)
                self.w.add(Subject, dict(id=sid, org_id=self.org.id, name=name, short_name=short, code=None,
                                         kind="subject", grading=grading, area_id=areas[area], module_id=None,
                                         sort_order=order))
        self.w.flush(EducationalArea, Subject)

    def _classes(self):
        """Every year's classes (their ids are given now: the students and the history point at them)."""
        self.class_id = {}
        for y in self.years:
            for key in self.class_keys:
                cid = self.class_id[(y.start, key)] = self.w.ids(SchoolClass)
                self.w.add(SchoolClass, dict(
                    id=cid, org_id=self.org.id, year_id=y.id, grade=key[0], name=f"{key[0]}{key[1]}", profile=None,
                    class_teacher_id=self.teachers[self.class_teacher[key]]["id"], department_id=None,
                    specialty_id=None, max_students=32))
        self.summary.classes += len(self.years) * len(self.class_keys)
        self.w.flush(SchoolClass)
