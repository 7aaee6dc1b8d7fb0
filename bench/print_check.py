"""`make print-check`: every report's print, rendered to look at (issue 15.9).

    python -m bench.print_check [--kind school|college|both] [--only NAME ...] [--out DIR] [--pages N]
                                [--paper A4|A3] [--no-png]

Builds the demo school and the demo college (`flask demo-data`, on the day TODAY: four quarters nearly done, so
the ledgers are full) in a throwaway SQLite database, builds every registered report as the operator would
(`flask report run`: the class with the most subjects, its first student, the teacher with the most classes),
writes each .xlsx, converts them with `libreoffice --headless --convert-to pdf` and the first pages of each
PDF with `pdftoppm -png -r 60` into DIR (bench/out/prints by default, not committed). Open the PNGs and look:
no font under ~7 pt, no «###», no overlapping text, no word broken in the middle. docs/prints/ keeps a few of
them (the ledgers and a parent letter) as committed examples.

Not part of the test run (LibreOffice takes tens of seconds); tests/test_prints.py checks the page setup of
the same workbooks with openpyxl, fast.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from models import AcademicYear, Organization, SchoolClass, TeachingAssignment, db, scope
from reports import parameters, registry
from reports.render import to_xlsx
from services import clock
from services.context import Actor
from services.errors import DomainError

OUT = Path(__file__).resolve().parent / "out" / "prints"
TODAY = date(2027, 5, 20)
KINDS = ("school", "college")


def demo_app(kind, workdir):
    """A fresh app over a new SQLite file in `workdir` holding the demo of `kind`."""
    from services.demo.school import create_demo  # noqa: PLC0415 -- the demo is loaded only where it is built

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(workdir) / f'{kind}.db'}",
                      "SECRET_KEY": "print-check",
                      "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 64, "parallelism": 1}})
    with app.app_context(), clock.frozen(TODAY):
        upgrade()
        create_demo(kind=kind, password="print-check-2026")
        db.session.commit()
        db.session.remove()
    return app


def _widest_class(actor, year):
    """The class with the most subjects (the widest ledger); the first by name among equals."""
    counts = {}
    for class_id, subject_id in db.session.execute(
            select(TeachingAssignment.class_id, TeachingAssignment.subject_id)
            .where(TeachingAssignment.year_id == year.id)):
        counts.setdefault(class_id, set()).add(subject_id)
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.year_id == year.id)
                                 .order_by(SchoolClass.grade, SchoolClass.name)).all()
    return max(classes, key=lambda c: len(counts.get(c.id, ())))


def report_raw(actor, rdef, year, klass):
    """The text parameters a report is built with: the widest class, its first student, the teacher with the
    most assignments, the class's first subject; from the year's start for the date ranges."""
    raw = {"year": year.name}
    if "class" in rdef.params:
        raw["class"] = klass.name
    if "student" in rdef.params and "student" in rdef.required:
        raw["student"] = str(parameters.STUDENT.choices(actor, rdef, year, klass)[0].id)
    if "teacher" in rdef.params:
        teachers = parameters.TEACHER.choices(actor, rdef, year)
        load = {}
        for teacher_id in db.session.scalars(select(TeachingAssignment.teacher_id)
                                             .where(TeachingAssignment.year_id == year.id)):
            load[teacher_id] = load.get(teacher_id, 0) + 1
        raw["teacher"] = str(max(teachers, key=lambda t: load.get(t.id, 0)).id)
    if "subject" in rdef.params:
        raw["subject"] = parameters.SUBJECT.choices(actor, rdef, year, klass)[0].name
    if "from" in rdef.params and rdef.name in ("class-attendance-ledger", "movement"):
        raw["from"] = f"{year.start_date:%d.%m.%Y}"
    return raw


def write_reports(kind, out, only=(), today=TODAY, paper="A4"):
    """Every registered report (or `only` these) of the demo in the database as .xlsx in `out`: [(name, path)].
    In an application context, on the day `today`."""
    written = []
    with clock.frozen(today):
        org = db.session.scalar(select(Organization))
        actor = Actor.system_actor(org)
        with scope.organization(org.id):
            year = db.session.scalar(select(AcademicYear).order_by(AcademicYear.start_date.desc()))
            klass = _widest_class(actor, year)
            for name, rdef in sorted(registry.REGISTRY.items()):
                if only and name not in only:
                    continue
                raw = report_raw(actor, rdef, year, klass)
                try:
                    doc = registry.build(actor, name, raw)
                except DomainError as exc:
                    print(f"{kind} {name}: не построен — {exc.message}; {'; '.join(exc.errors)}", file=sys.stderr)
                    continue
                path = Path(out) / f"{kind}-{name}.xlsx"
                path.write_bytes(to_xlsx(doc, paper).bytes())
                written.append((name, path))
    return written


def to_png(paths, out, pages):
    """Each .xlsx as PDF (one LibreOffice run for all, its own profile) and its first `pages` pages as PNG."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None or shutil.which("pdftoppm") is None:
        raise SystemExit("Нужны LibreOffice и poppler-utils: apt-get install -y libreoffice-calc poppler-utils")
    with tempfile.TemporaryDirectory(prefix="print-check-lo-") as profile:
        subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out), *map(str, paths)], check=True, capture_output=True, timeout=900)
    pngs = []
    for path in paths:
        pdf = path.with_suffix(".pdf")
        if not pdf.exists():
            print(f"{path.name}: LibreOffice не сделал PDF", file=sys.stderr)
            continue
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-l", str(pages), str(pdf), str(path.with_suffix(""))],
                       check=True, timeout=300)
        pngs += sorted(out.glob(f"{path.stem}-*.png"))
    return pngs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=(*KINDS, "both"), default="both")
    parser.add_argument("--only", nargs="*", default=(), help="только эти отчёты (имена из `flask report list`)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--pages", type=int, default=4, help="сколько первых страниц каждого отчёта в PNG")
    parser.add_argument("--paper", choices=("A4", "A3"), default="A4", help="формат листа")
    parser.add_argument("--no-png", action="store_true", help="только .xlsx, без LibreOffice")
    args = parser.parse_args(argv)
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="print-check-db-") as workdir:
        for kind in (KINDS if args.kind == "both" else (args.kind,)):
            app = demo_app(kind, workdir)
            with app.app_context():
                written += [path for _, path in write_reports(kind, args.out, set(args.only), paper=args.paper)]
                db.session.remove()
                db.engine.dispose()
    print(f"{len(written)} книг .xlsx в {args.out}")
    if not args.no_png:
        pngs = to_png(written, args.out, args.pages)
        print(f"{len(pngs)} страниц PNG в {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
