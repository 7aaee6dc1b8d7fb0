"""The portfolio of the demo (issue 18.3): the demo student's confirmed achievements (added by his class teacher
and a subject teacher), one proposal of his own waiting for the class teacher, a classmate's entries (the class's
summary is not a single row), and a project with participants of two classes, stages and a result."""
from datetime import timedelta

from sqlalchemy import select

from models import (EntryKind, EntryLevel, EntryPlace, EntryStatus, PortfolioEntry, Project, ProjectStage, Student,
                    StudentStatus, Subject, db)
from services import clock


def create_portfolio_demo(org, demo_student, class_teacher, subject_teacher, today, college=False):
    subjects = db.session.scalars(select(Subject).where(Subject.org_id == org.id)
                                  .order_by(Subject.sort_order, Subject.name).limit(3)).all()
    first = subjects[0] if subjects else None
    second = subjects[1] if len(subjects) > 1 else first
    classmate = db.session.scalars(select(Student).where(
        Student.class_id == demo_student.class_id, Student.id != demo_student.id,
        Student.status == StudentStatus.STUDYING.value).order_by(Student.id)).first()
    other = db.session.scalars(select(Student).where(
        Student.org_id == org.id, Student.class_id != demo_student.class_id,
        Student.status == StudentStatus.STUDYING.value).order_by(Student.id)).first()
    now = clock.utcnow()
    confirmed = [
        (demo_student, class_teacher, EntryKind.OLYMPIAD,
         "Всероссийская олимпиада школьников, школьный этап" if not college else "Олимпиада профессионального "
         "мастерства, этап колледжа", EntryLevel.SCHOOL, 55, EntryPlace.WINNER, "диплом I степени", first),
        (demo_student, subject_teacher, EntryKind.OLYMPIAD,
         "Всероссийская олимпиада школьников, муниципальный этап" if not college else "Региональный чемпионат "
         "«Профессионалы»", EntryLevel.MUNICIPAL, 20, EntryPlace.PRIZEWINNER, "87 баллов из 100", first),
        (demo_student, class_teacher, EntryKind.SPORT, "Городские соревнования по лёгкой атлетике, эстафета",
         EntryLevel.MUNICIPAL, 70, EntryPlace.PARTICIPANT, None, None),
        (demo_student, class_teacher, EntryKind.CERTIFICATE, "Курсы «Основы программирования на Python», 36 часов",
         EntryLevel.REGIONAL, 40, None, "сертификат об окончании", second),
        (classmate, class_teacher, EntryKind.CONTEST, "Конкурс чтецов «Живая классика»", EntryLevel.SCHOOL, 30,
         EntryPlace.PRIZEWINNER, "грамота за II место", None),
    ]
    for student, author, kind, title, level, days, place, result, subject in confirmed:
        if student is None:
            continue
        db.session.add(PortfolioEntry(
            org_id=org.id, student_id=student.id, kind=kind, title=title, level=level,
            event_date=today - timedelta(days=days), place=place, result=result,
            subject_id=subject.id if subject else None, status=EntryStatus.CONFIRMED, author_id=author.user_id,
            decided_by_id=author.user_id, decided_at=now))
    db.session.add(PortfolioEntry(
        org_id=org.id, student_id=demo_student.id, kind=EntryKind.CONTEST,
        title="Региональный конкурс исследовательских работ «Шаг в будущее»", level=EntryLevel.REGIONAL,
        event_date=today - timedelta(days=5), place=EntryPlace.PARTICIPANT, result="сертификат участника",
        status=EntryStatus.PROPOSED, author_id=demo_student.user_id))
    participants = [s for s in (demo_student, classmate, other) if s is not None]
    project = Project(org_id=org.id, title="Экологическая тропа у школы" if not college else
                      "Энергосбережение в учебном корпусе", subject_id=second.id if second else None,
                      supervisor_id=subject_teacher.id, start_date=today - timedelta(days=60),
                      result_text="Маршрут и восемь информационных стендов; защита проекта назначена.",
                      created_by_id=subject_teacher.user_id, participants=participants)
    db.session.add(project)
    for title, planned, done, note in (
            ("Выбор темы и цели проекта", -55, -56, None),
            ("Сбор материала и наблюдения", -25, -22, "фотографии и описания растений"),
            ("Изготовление стендов", 5, None, None),
            ("Защита проекта", 20, None, "на школьной научной конференции")):
        project.stages.append(ProjectStage(org_id=org.id, title=title, planned_date=today + timedelta(days=planned),
                                           done_date=today + timedelta(days=done) if done is not None else None,
                                           note=note))
    db.session.flush()
    return project
