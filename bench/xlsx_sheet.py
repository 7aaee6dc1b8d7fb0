"""The .xlsx writing of the big reports, XlsxWriter's stock Worksheet against reports/xlsx_sheet.py's
FastWorksheet (issue 20, item 4): the reports' Documents are built once on the large set (SQLite, from
bench/out/cache or a file given), then each is written to .xlsx by turns — stock, fast, stock, fast … —
timing the process's CPU and the wall clock of `render.to_xlsx(doc).bytes()` (the layout and XlsxWriter's
`write_*` included) and of the book's close alone; every XML part of the two files is compared.

    .venv/bin/python -m bench.xlsx_sheet [--db PATH] [--repeat N] [REPORT …]
"""
import argparse
import glob
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from bench import dataset, measure
from models import db
from reports import registry, render, xlsx
from tests.factories import actor_of
from tests.xlsx_parts import differing_parts

BOOKS = {"stock": xlsx.xlsxwriter.Workbook, "fast": xlsx.FastWorkbook}


def write(doc, kind):
    xlsx.Book.workbook_class = BOOKS[kind]
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        book = render.to_xlsx(doc)
        cpu_close, wall_close = time.process_time(), time.perf_counter()
        data = book.bytes()
        now_cpu, now_wall = time.process_time(), time.perf_counter()
    finally:
        xlsx.Book.workbook_class = xlsx.FastWorkbook
    return data, (now_cpu - cpu, now_wall - wall, now_cpu - cpu_close, now_wall - wall_close)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="*", default=["institution-ledgers", "school-results"])
    parser.add_argument("--db", help="a SQLite file of the large set (default: bench/out/cache/large-*)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    source = args.db or max(glob.glob(str(dataset.CACHE / "large-s2026-y0-n1-*.db")), default=None)
    if not source:
        raise SystemExit("нет набора: make bench (SQLite) или --db")
    tmp = Path(tempfile.mkdtemp(prefix="xlsx-sheet-"))
    try:
        shutil.copyfile(source, tmp / "bench.db")
        today = dataset.set_today()
        app = dataset.make_app(f"sqlite:///{tmp / 'bench.db'}")
        with app.app_context():
            upgrade()  # a cached set of an older schema
            t = dataset.targets(today)
            db.session.commit()
            actor = actor_of(t.admin_login)
            values = {"class": t.report_class, "year": t.year_name, "period": t.report_period,
                      "student": str(t.report_student_id)}
            for name in args.reports:
                raw = {k: v for k, v in values.items() if k in measure.REPORTS[name][1]}
                doc = registry.build(actor, name, raw, today=today)
                times = {"stock": [], "fast": []}
                files = {}
                for _ in range(2 + args.repeat):
                    for kind in ("stock", "fast"):
                        files[kind], spent = write(doc, kind)
                        times[kind].append(spent)
                diff = differing_parts(files["stock"], files["fast"])
                print(f"{name}: {len(files['fast'])} байт; части XML {'те же' if not diff else 'РАЗНЫЕ: ' + str(diff)}")
                for kind in ("stock", "fast"):
                    got = times[kind][2:]
                    med = [statistics.median(x[i] for x in got) * 1000 for i in range(4)]
                    print(f"  {kind:5}: ЦП {med[0]:.0f} мс, стена {med[1]:.0f} мс (из них закрытие книги: ЦП "
                          f"{med[2]:.0f} мс, стена {med[3]:.0f} мс), медиана из {len(got)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
