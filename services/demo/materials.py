"""The demo's learning materials (issue 18.4, seed 001 stage IV): a teacher of the demo class keeps a file, a link and
a text of his subject, assigns them to his lessons of this week in that class, and gives the class a short course of
them for two weeks — so the demo student's and parent's diary shows «Материалы» on lessons and a course."""
from datetime import timedelta

from sqlalchemy import select

from models import Lesson, TeachingAssignment, db
from services.context import Actor
from services.demo.lesson_files import _pdf
from services.learning import materials
from services.learning.materials import AssignInput, CourseInput, MaterialInput


def create_materials_demo(org, klass, today):
    """The materials, their lesson and class assignments and the course; nothing if the class has no whole-class
    lesson this week."""
    monday = today - timedelta(days=today.weekday())
    lessons = db.session.scalars(
        select(Lesson).join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(TeachingAssignment.class_id == klass.id, TeachingAssignment.subgroup_id.is_(None),
               Lesson.date >= monday, Lesson.date <= monday + timedelta(days=5), Lesson.is_cancelled.is_(False))
        .order_by(Lesson.date, Lesson.number)).all()
    if not lessons:
        return []
    assignment = lessons[0].assignment
    lessons = [lesson for lesson in lessons if lesson.assignment_id == assignment.id][:3]
    # the operator acting as the lesson's teacher: the rules apply, he is the materials' author
    actor = Actor(user=None, org=org, staff_id=assignment.teacher_id, system=True, _roles=frozenset())
    subject, grade = assignment.subject_id, klass.grade
    made = [
        materials.create_material(actor, MaterialInput(
            title="Памятка к уроку", kind="file", subject_id=subject, grade=grade, shared=True,
            upload=("Памятка к уроку.pdf", _pdf(["Lesson notes", "Key terms and examples", "Questions 1-3"])))),
        materials.create_material(actor, MaterialInput(
            title="Российская электронная школа", kind="link", subject_id=subject, grade=grade, shared=True,
            url="https://resh.edu.ru/")),
        materials.create_material(actor, MaterialInput(
            title="Повторение перед уроком", kind="text", subject_id=subject, grade=grade,
            body="Перед уроком повторите:\n1. Основные понятия прошлой темы.\n2. Примеры из учебника.\n"
                 "3. Ответьте устно на вопросы в конце параграфа.")),
    ]
    for material, lesson in zip(made, lessons):
        materials.assign(actor, AssignInput(target="lesson", lesson_id=lesson.id), material_id=material.id)
    course = materials.create_course(actor, CourseInput(
        title="Самостоятельное повторение", subject_id=subject, grade=grade, shared=True,
        description="Короткий курс на две недели: разделы по порядку — текст, файл и ссылка.",
        material_ids=[made[2].id, made[0].id, made[1].id]))
    materials.assign(actor, AssignInput(target="class", class_id=klass.id, start_date=monday,
                                        end_date=monday + timedelta(days=13)), course_id=course.id)
    return [*made, course]
