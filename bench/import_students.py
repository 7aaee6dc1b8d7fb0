"""The 2 000-student import (issue 17.1): a generated «Ученики и родители» workbook of 2 000 students with
3 500 parents (siblings sharing their parents, some families on two rows), planned and applied on a fresh
SQLite database; the times go to bench/RESULTS.md (its section «Импорт учеников и родителей»).

    python -m bench.import_students [--students 2000] [--db PATH]

`students_workbook()` is also the tests' file (tests/test_import_students.py).
"""
import argparse
import io
import re
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter
from flask_migrate import upgrade
from sqlalchemy import event, func, select

from app import create_app
from models import AcademicYear, Organization, Parent, SchoolClass, Student, db, scope
from services import clock, uow
from services.context import Actor
from services.imports import core, get
from services.imports.students import COLUMNS
from services.org import orgs
from services.validation import snils_with_checksum

LAST = ("Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков",
        "Морозов", "Волков", "Алексеев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов", "Богданов",
        "Воробьёв", "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов", "Киселёв", "Макаров",
        "Андреев", "Ковалёв", "Ильин", "Гусев", "Титов", "Кузьмин", "Кудрявцев", "Баранов", "Куликов", "Алексин",
        "Степанов")
FIRST = ("Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Василий", "Виктор", "Владимир",
         "Глеб", "Григорий", "Даниил", "Денис", "Дмитрий", "Егор", "Иван", "Игорь", "Кирилл", "Константин",
         "Лев", "Максим", "Матвей", "Михаил", "Никита", "Николай", "Олег", "Павел", "Роман", "Сергей")
MIDDLE = ("Александрович", "Алексеевич", "Андреевич", "Борисович", "Викторович", "Владимирович", "Дмитриевич",
          "Евгеньевич", "Иванович", "Игоревич", "Кириллович", "Максимович", "Михайлович", "Николаевич",
          "Олегович", "Павлович", "Петрович", "Романович", "Сергеевич", "Юрьевич")
MOTHER = ("Анна", "Елена", "Ольга", "Наталья", "Ирина", "Татьяна", "Светлана", "Мария", "Юлия", "Екатерина")
PARENT_MIDDLE_F = ("Ивановна", "Петровна", "Сергеевна", "Андреевна", "Викторовна")
PARENT_MIDDLE_M = ("Иванович", "Петрович", "Сергеевич", "Андреевич", "Викторович")
FATHER = ("Сергей", "Андрей", "Алексей", "Дмитрий", "Михаил", "Павел", "Игорь", "Олег", "Юрий", "Виктор")
ORDER = ("12-у", date(2026, 8, 28))
TODAY = date(2026, 11, 20)


def _header():
    return [c.header for c in COLUMNS], [c.key for c in COLUMNS]


def student_rows(classes, students=2000, parents=3500, snils_base=300_000_000, file_prefix="Л-"):
    """The rows (dicts by column key) of a school's families: `classes` [(name, grade)]; every tenth student
    is the sibling of the one before (the same parents); the other families have two parents, or one
    when `parents` runs short; every seventh family with two parents puts the second on a row of its own."""
    rows, family, made = [], None, 0
    families = sum(1 for i in range(students) if i % 10 != 1)
    two = min(families, max(0, parents - families))
    family_no = -1
    for i in range(students):
        name, grade = classes[i % len(classes)]
        birth = date(2020 - grade, 1 + i % 6, 1 + i % 27)
        last = LAST[i % len(LAST)]
        row = {"last_name": last, "first_name": FIRST[(i // len(LAST)) % len(FIRST)],
               "middle_name": MIDDLE[(i // (len(LAST) * len(FIRST))) % len(MIDDLE)], "sex": "м",
               "birth_date": birth.strftime("%d.%m.%Y"), "snils": snils_with_checksum(f"{snils_base + i * 7:09d}"),
               "klass": name, "personal_file_number": f"{file_prefix}{i + 1}", "order_number": ORDER[0],
               "order_date": ORDER[1].strftime("%d.%m.%Y"), "address": f"г. Тест, ул. Школьная, д. {i % 90 + 1}",
               # the contingent register's data, as labels (every third student's left for the class teacher)
               **({} if i % 3 == 2 else {
                   "citizenship": "Российская Федерация", "birth_place": "г. Тест",
                   "registration_address": f"г. Тест, ул. Школьная, д. {i % 90 + 1}",
                   "health_group": ("I", "II", "III")[i % 3], "disability": "Нет", "ovz": "Нет",
                   "study_form": "Очная", "funding": "Бюджет: местный"})}
        if (TODAY.year - birth.year) - ((TODAY.month, TODAY.day) < (birth.month, birth.day)) >= 14:
            issued = date(birth.year + 14, birth.month, birth.day) + timedelta(days=20)
            row.update(passport_series="45" + f"{grade:02d}", passport_number=f"{100000 + i:06d}",
                       passport_date=issued.strftime("%d.%m.%Y"), passport_issued_by="ГУ МВД по г. Тест")
        if i % 10 != 1 or family is None:
            family_no += 1
            n = family_no
            mother = {"last_name": last + "а", "first_name": MOTHER[n % len(MOTHER)],
                      "middle_name": PARENT_MIDDLE_F[n % len(PARENT_MIDDLE_F)], "relation": "мать",
                      "phone": f"+7 9{n:09d}", "email": f"mama{n}@example.ru"}
            father = {"last_name": last, "first_name": FATHER[n % len(FATHER)],
                      "middle_name": PARENT_MIDDLE_M[n % len(PARENT_MIDDLE_M)], "relation": "отец",
                      "phone": f"+7 8{n:09d}", "email": None}
            family = [mother, father] if family_no < two else [mother]
            made += len(family)
        for n, parent in enumerate(family[:1] if (len(family) == 2 and family_no % 7 == 0) else family, start=1):
            row.update({f"p{n}_{k}": v for k, v in parent.items()})
        rows.append(row)
        if len(family) == 2 and family_no % 7 == 0:  # the second parent on a row of his own
            extra = {k: v for k, v in row.items() if not re.match(r"p[0-9]_", k)}
            extra.update({f"p1_{k}": v for k, v in family[1].items()})
            rows.append(extra)
    return rows


def workbook(rows, header=None, keys=None):
    """The rows as an .xlsx in the import's layout (as a school fills the template: text cells)."""
    if header is None:
        header, keys = _header()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Ученики и родители")
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        for j, key in enumerate(keys):
            if row.get(key) not in (None, ""):
                sheet.write_string(i, j, str(row[key]))
    book.close()
    return out.getvalue()


def students_workbook(classes, students=2000, parents=3500, **kw):
    return workbook(student_rows(classes, students, parents, **kw))


CLASSES = [(f"{grade}{letter}", grade) for grade in range(1, 12) for letter in "АБВГДЕ"][:60]
SECTION = "## Импорт учеников и родителей"


def _record(line):
    path = Path(__file__).resolve().parent / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    head, _, _ = text.partition(SECTION)
    block = (f"{SECTION}\n\n`python -m bench.import_students` (SQLite, файл .xlsx, один процесс; сегодня 20.11.2026; "
             "время — `services.imports.core.run` без сети и шаблонов страницы):\n\n"
             "| Что измеряется | База | Строк | Проверка (предпросмотр), с | Загрузка, с | Повторная проверка, с | "
             "SQL при загрузке | Бюджет | |\n|---|---|---:|---:|---:|---:|---:|---|---|\n" + line + "\n")
    path.write_text(head.rstrip() + "\n\n" + block, encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--parents", type=int, default=3500)
    parser.add_argument("--db", help="файл SQLite (по умолчанию — новый во временном каталоге)")
    parser.add_argument("--no-record", action="store_true", help="не записывать в bench/RESULTS.md")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="bench-import-")
    url = f"sqlite:///{args.db or Path(folder) / 'import.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    clock.freeze(datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0))
    with app.app_context():
        upgrade()
        with uow.unit():
            org = orgs.create_organization(kind="school", full_name="Школа бенчмарка импорта",
                                           short_name="Бенч импорт")
            year = AcademicYear(org_id=org.id, name="2026/2027", start_date=date(2026, 9, 1),
                                end_date=date(2027, 6, 30))
            db.session.add(year)
            db.session.flush()
            for name, grade in CLASSES:
                db.session.add(SchoolClass(org_id=org.id, year_id=year.id, name=name, grade=grade))
            org_id = org.id
        rows = student_rows(CLASSES, args.students, args.parents)
        data = workbook(rows)
        statements = [0]
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        times = {}
        for what, apply in (("preview", False), ("apply", True), ("again", False)):
            with uow.unit(), scope.organization(org_id):
                actor = Actor.system_actor(db.session.get(Organization, org_id))
                statements[0] = 0
                started = time.perf_counter()
                preview = core.run(actor, get("students"), data, apply=apply)
                times[what] = (time.perf_counter() - started, statements[0], preview)
                if preview.errors:
                    print("\n".join(str(e) for e in preview.errors[:20]), file=sys.stderr)
                    raise SystemExit(1)
        with uow.unit(read_only=True):
            counts = (db.session.scalar(select(func.count(Student.id))),
                      db.session.scalar(select(func.count(Parent.id))))
    again = times["again"][2]
    unchanged = again.count("skip") == len(again.changes)
    total = times["preview"][0] + times["apply"][0]
    line = (f"| Импорт «Ученики и родители»: {args.students} учеников, {args.parents} родителей "
            f"(создано учеников {counts[0]}, родителей {counts[1]}; повторно — всё «без изменений»: "
            f"{'да' if unchanged else 'нет'}) | sqlite | {len(rows)} | {times['preview'][0]:.1f} | "
            f"{times['apply'][0]:.1f} | {times['again'][0]:.1f} | {times['apply'][1]} | проверка + загрузка ≤ 60 с | "
            f"{'✅' if total <= 60 and unchanged else '❌'} |")
    print(line)
    if not args.no_record:
        _record(line)


if __name__ == "__main__":
    main()
