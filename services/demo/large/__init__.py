"""The large data set for performance work (issue 7): `flask --app app demo-data --size large`.

What it makes, per school (organization), deterministically from `--seed`:

* `large`: 70 classes (grades 1–9: seven classes each, «А»…«Ж»; the 10th: three; the 11th: four),
  28–30 students each (≈ 2,030 studying), the federal curriculum of each grade (14 subjects a
  class in grades 5–11, 9–11 in the primary grades), 120 teachers (staff with the teacher role and
  an account; 28 of them are the primary class teachers, who teach most subjects of their class)
  plus a director, two deputies, an HR officer and an administrator; class teachers for every class;
  students with one or two parents (a few families have two children at school); the English
  language split into two subgroups in grades 5–11; the bells and a weekly timetable without
  clashes (a class's day has no gaps: see `_Timetable`); the КТП of every teacher, subject and grade;
  a FULL academic year of lessons generated from the timetable by the journal's own generator
  (`services.timetable.lessons`), with replacements and cancelled lessons (timetable changes), topics from the
  КТП, homework due on the next lesson, attendance taken; tasks of several types and weights with
  about one million marks (each student has his own level, so his marks, averages and period marks
  agree); about 5 % of the student-lessons have an attendance mark (illness spells of a few days,
  excused days, single absences and lateness, with reasons and documents); transfers between
  parallel classes and withdrawals during the year (applied orders of the movement book, the class
  history follows them); period marks of the finished quarters (the mark the journal's weighted
  average suggests, or «н/а» without marks) and year marks.
* `tiny`: the same generator at a toy scale for CI and tests: classes 1А, 5А and 5Б with 8 students
  each and the first four subjects of their grade's plan (1А: no marks; 5А/5Б: English split),
  5 teachers, lessons in the first school week of each quarter only (4 weeks of lessons), one
  transfer and one withdrawal a year.

«Today» of the set (`today`): by default the last day of the 4th quarter of the academic year that
contains the real date (so every lesson of the year has been given). The quarters that ended
before it have their period marks and are closed; the quarter that contains it stays open and
without period marks, so that the benchmark's teachers can still save marks (a period mark closes
a quarter's marks to the teacher); year marks are set when every quarter has ended (pass a later
`today`, e.g. 30.06) and always in the past years.

`years`: N past academic years before it, the same shape: the students move up a grade every year
(«Перевод на следующий год»; the 9th grades that have no 10th to go to and the 11th grades
graduate; the new 1st grades and the 11Г are enrolled), each year with its classes, curricula,
assignments, timetable, lessons, marks, period and year marks; past years are closed.
`schools`: N such schools (organizations) in one database.

Speed: rows are inserted in bulk, never one by one through the ORM: on PostgreSQL by COPY (the big
tables' foreign keys dropped for the load and added back, which checks every row, at the end of the
same transaction; then ANALYZE), elsewhere by the INSERT SQLAlchemy Core compiles for the table, run
by the driver's executemany in chunks (`_Writer`). Primary keys are given by the loader (after the
largest id already there; PostgreSQL's sequences are moved past them at the end), so lessons, tasks
and marks are written in one pass. The whole set is one transaction. The ORM's flush-time rules
(services/rules.py) and the audit (services/audit.py) are bypassed by such inserts, which is
intended for a bulk loader; the generator itself keeps every rule of the data: nothing points at
another organization, marks and attendance only on given (not cancelled) lessons, for students of
the lesson's class (and subgroup) on the lesson's date, period marks only from the journal's values.

Every account has the same password (`password`, else BENCH_PASSWORD), hashed ONCE. Accounts: all
staff; per class of the current year the first students (by surname) and their mothers.
`sample_logins("teacher" | "parent", n)` gives the benchmark its logins.

The modules: `run` is the entry point (`create_large_demo`, `default_today`, `parse_today`, `format_summary`,
`sample_logins`, `BENCH_PASSWORD`: the `demo-data` command, bench/dataset.py, the tests); `school` builds one
school step by step, each step's methods in its own module — `org` (the organization, calendar, subjects,
classes), `people` (staff, students, parents, accounts), `planning` (who teaches what, subgroups, curricula,
КТП), `timetable` (rooms, bells, the week, changes, lessons), `movement` (the students' histories and the
movement book), `journal` (attendance, marks, period and year marks); `data` holds the scales and the
school's shape, `writer` the bulk writing.
"""
