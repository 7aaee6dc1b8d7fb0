"""The reports of bench/measure.py REPORTS on a loaded database, with the process's CPU per request: p50 of the
server time (the whole WSGI call through the test client, as `bench.run`), p50 and minimum of the CPU time of the
process during the request (Python: it depends on the neighbours less than the wall clock), the statements, and
the raw SQL aggregate (measure.RAW_SQL) with the ratio. To compare two versions of the code, run it from each
checkout by turns on the same database (bench/RESULTS.md, «Разбор»).

    .venv/bin/python -m bench.report_cpu URL [--repeat N] [--save DIR] [REPORT …]

URL: a database the bench loaded (`bench.run --keep-pg` keeps the PostgreSQL one); `--save`: the last .xlsx and
the JSON of each report written to DIR (to compare the outputs of two versions: tests/xlsx_parts.py).
"""
import argparse
import time
from pathlib import Path

from bench import dataset, measure
from bench.measure import WARMUP, Client, StatementCounter, percentile
from models import db


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("reports", nargs="*", default=list(measure.REPORTS))
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--save")
    args = parser.parse_intermixed_args(argv)
    today = dataset.set_today()
    app = dataset.make_app(args.url)
    with app.app_context():
        t = dataset.targets(today)
        db.session.commit()
        counter = StatementCounter(db.engine)
        db.session.remove()
    client = Client(app, counter).login(t.admin_login)
    try:
        for name in args.reports:
            url = measure.report_url(name, t)
            walls, cpus, statements = [], [], 0
            for n in range(WARMUP + args.repeat):
                started = time.process_time()
                elapsed, count, resp = client.timed("get", url)
                cpu = time.process_time() - started
                problem = measure.ok_xlsx(resp)
                if problem:
                    raise SystemExit(f"{name}: {problem}")
                if n >= WARMUP:
                    walls.append(elapsed)
                    cpus.append(cpu)
                    statements = max(statements, count)
            if args.save:
                out = Path(args.save)
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{name}.xlsx").write_bytes(resp.get_data())
                (out / f"{name}.json").write_bytes(
                    client.request("get", url.replace("format=xlsx", "format=json")).get_data())
            raw, rows = measure.measure_raw(app, t, name, args.repeat)
            p50 = percentile(walls, 50)
            print(f"{name}: p50 {p50 * 1000:.1f} мс, ЦП p50 {percentile(cpus, 50) * 1000:.1f} мс (мин. "
                  f"{min(cpus) * 1000:.1f}), SQL {statements}; сырой SQL p50 {raw.p50 * 1000:.1f} мс ({rows} строк), "
                  f"× {p50 / raw.p50:.2f}", flush=True)
    finally:
        counter.close()
        dataset.dispose(app)


if __name__ == "__main__":
    main()
