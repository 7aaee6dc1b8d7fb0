"""The demo's lesson files (issue 16.6): a short PDF and a text file on the homework of the demo class's lessons
this week, so the diary of the demo student and parent shows files to download."""
from datetime import timedelta

from sqlalchemy import select

from models import Lesson, TeachingAssignment, db
from services.context import Actor
from services.journal import lesson_files


def _pdf(lines):
    """A small valid one-page PDF with a few lines of ASCII text, made by hand (with its xref table)."""
    text = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode("ascii")),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def create_lesson_files_demo(org, klass, today):
    """Two files on the homework of the class's first lessons of this week (none if it has no lessons)."""
    monday = today - timedelta(days=today.weekday())
    lessons = db.session.scalars(
        select(Lesson).join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .where(TeachingAssignment.class_id == klass.id, Lesson.date >= monday,
               Lesson.date <= monday + timedelta(days=5), Lesson.is_cancelled.is_(False))
        .order_by(Lesson.homework.is_(None), Lesson.date, Lesson.number)).all()
    lessons = [lesson for lesson in lessons if lesson_files.closed_reason(lesson) is None][:2]
    if not lessons:
        return []
    actor = Actor.system_actor(org)
    added = lesson_files.attach(actor, lessons[0].id, "homework", [
        ("Задание к уроку.pdf", _pdf(["Homework", "Exercises 1-5, page 42", "Check the answers in class"]))])
    if len(lessons) > 1:
        added += lesson_files.attach(actor, lessons[1].id, "homework", [
            ("Вопросы к параграфу.txt", "Вопросы к параграфу\n1. Что нового вы узнали?\n"
                                        "2. Приведите два примера из жизни.\n".encode())])
    return added
