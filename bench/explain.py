"""EXPLAIN (ANALYZE, BUFFERS) of the statements the journal grid, the diary week and the grid's
whole-lesson save send, on a PostgreSQL database the bench kept (issue 20.4: what the database
needs with many schools in it).

    BENCH_PG_PREFIX=journal_region50 python -m bench.explain --schools 50 [--org first|last] [--out FILE]

The requests run through the Flask test client as in bench/run.py (a teacher and a parent of the
organization chosen); each statement is captured with its parameters and explained afterwards on
the same connection pool — the data-changing ones inside a transaction that is rolled back. Prints
one line per statement (execution time, shared buffers hit/read, the scans on the big tables) and
writes the plans to bench/out/explain-<schools>.txt.
"""
import argparse
import re
import sys
import time

from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError

from bench import dataset, measure, run
from bench.dataset import Config, log
from models import Organization, db

SCAN = r"(Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?(?: using \w+)? on (\w+)"
BIG = ("mark", "attendance", "lesson", "task", "period_mark", "student", "class_membership")


def capture(app, client, method, url, **kwargs):
    """[(statement, parameters)] of one request."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        resp = client.request(method, url, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    if resp.status_code != 200:
        raise dataset.BenchError(f"{url}: ответ {resp.status_code}")
    return seen


def explain(app, statements):
    """[(statement, plan text, execution ms, scans)]."""
    result = []
    with app.app_context():
        with db.engine.connect() as conn:
            for statement, parameters in statements:
                head = statement.lstrip().split(None, 1)[0].upper()
                if head not in ("SELECT", "WITH", "UPDATE", "INSERT", "DELETE"):
                    continue
                trans = conn.begin()
                try:
                    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or {}).all()
                except DBAPIError as exc:  # a replayed INSERT of a row the request made: its plan is trivial
                    rows = [(f"(не повторить: {str(exc.orig).splitlines()[0]})",)]
                finally:
                    trans.rollback()
                plan = "\n".join(r[0] for r in rows)
                took = re.search(r"Execution Time: ([\d.]+) ms", plan)
                scans = sorted({f"{kind} {table}" for kind, table in re.findall(SCAN, plan) if table in BIG})
                result.append((statement, plan, float(took.group(1)) if took else 0.0, scans))
    return result


PROBE_TABLES = ("mark", "attendance", "task", "lesson", "period_mark", "class_membership", "student")


def build_probe(app, org_id):
    """Schema `probe`: copies of the big tables holding only `org_id`'s rows, with the same indexes —
    what a table partitioned by organization (or by year, when one partition holds as few rows) would
    give a statement after pruning."""
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS probe CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA probe")
            for table in PROBE_TABLES:
                conn.exec_driver_sql(f"CREATE TABLE probe.{table} (LIKE public.{table} INCLUDING DEFAULTS)")
                conn.exec_driver_sql(f"INSERT INTO probe.{table} SELECT * FROM public.{table} "
                                     f"WHERE org_id = {int(org_id)}")
                for (definition,) in conn.exec_driver_sql(
                        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %(t)s",
                        {"t": table}):
                    definition = definition.replace(" ON public.", " ON probe.")
                    conn.exec_driver_sql(re.sub(r"INDEX (\w+)", r"INDEX probe_\1", definition, count=1))
                conn.exec_driver_sql(f"ANALYZE probe.{table}")


def drop_probe(app):
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS probe CASCADE")


def probe_times(app, statement, parameters, rounds=40):
    """(p50 ms on the whole tables, p50 ms on the probe's one-organization tables), in turns."""
    times = {"public": [], "probe": []}
    with app.app_context():
        with db.engine.connect() as conn:
            for n in range(rounds + 3):
                for schema in ("public", "probe"):
                    trans = conn.begin()
                    conn.exec_driver_sql(f"SET LOCAL search_path = {schema}, public")
                    started = time.perf_counter()
                    conn.exec_driver_sql(statement, parameters or {}).all()
                    elapsed = time.perf_counter() - started
                    trans.rollback()
                    if n >= 3:
                        times[schema].append(elapsed * 1000)
    return measure.percentile(times["public"], 50), measure.percentile(times["probe"], 50)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.explain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=dataset.SIZES, default="large")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--schools", type=int, default=1)
    parser.add_argument("--org", choices=("first", "last"), default="first",
                        help="организация, чьи журнал и дневник смотреть")
    parser.add_argument("--out", default=None)
    parser.add_argument("--probe", action="store_true",
                        help="каждый SELECT по большим таблицам ещё и на их копиях только с этой организацией "
                             "(верхняя граница выигрыша от секционирования), попеременно")
    args = parser.parse_args(argv)
    today = dataset.set_today()
    database, app = dataset.prepare("postgresql", Config(args.size, args.seed, schools=args.schools), today, keep=True)
    with app.app_context():
        last = db.session.scalar(select(Organization.id).order_by(Organization.id.desc()).limit(1))
        t = dataset.targets(today, org_id=last if args.org == "last" else None)
    counter = measure.StatementCounter(_engine(app))
    journal, diary = t.journals[0], t.diaries[0]
    teacher = measure.Client(app, counter).login(journal.login)
    parent = measure.Client(app, counter).login(diary.login)
    requests = {
        "grid": (teacher, "get", measure.grid_url(journal, journal.period_id), {}),
        "diary": (parent, "get", f"/diary/{diary.student_id}/?week={diary.week.isoformat()}", {}),
    }
    method, url, kwargs = run.save_request(app, teacher, journal)()
    requests["save"] = (teacher, method, url, kwargs)
    lines, plans = [], []
    if args.probe:
        build_probe(app, t.org_id)
    for key, (client, method, url, kwargs) in requests.items():
        client.request(method, url, **kwargs) if method == "get" else None  # warm the caches
        if key == "save":
            method, url, kwargs = run.save_request(app, teacher, journal)()
        statements = capture(app, client, method, url, **kwargs)
        explained = explain(app, statements)
        total = sum(ms for _, _, ms, _ in explained)
        lines.append(f"{key}: {len(statements)} операторов, EXPLAIN ANALYZE всего {total:.1f} мс ({url})")
        for n, (statement, plan, took, scans) in enumerate(explained, 1):
            short = " ".join(statement.split())[:110]
            lines.append(f"  {n:2}. {took:7.2f} мс  {', '.join(scans) or '—'}  | {short}")
            plans.append(f"== {key} #{n}: {took:.2f} ms\n{statement}\n{plan}\n")
        if args.probe:
            total_whole = total_probe = 0.0
            for n, (statement, parameters) in enumerate(statements, 1):
                head = statement.lstrip().split(None, 1)[0].upper()
                if head not in ("SELECT", "WITH") or not any(f" {t} " in f" {statement} " or f"{t}." in statement
                                                           for t in PROBE_TABLES):
                    continue
                whole, probe = probe_times(app, statement, parameters)
                total_whole, total_probe = total_whole + whole, total_probe + probe
                lines.append(f"  проба #{n}: вся таблица {whole:.2f} мс, одна организация {probe:.2f} мс")
            lines.append(f"  проба {key}: всего {total_whole:.2f} → {total_probe:.2f} мс")
    counter.close()
    if args.probe:
        drop_probe(app)
    dataset.dispose(app)
    out = args.out or str(dataset.OUT / f"explain-{args.schools}-{args.org}.txt")
    dataset.OUT.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(f"{time.strftime('%Y-%m-%d %H:%M')} {database.name}\n" + "\n".join(lines) + "\n\n" + "\n".join(plans))
    print("\n".join(lines))
    log(f"планы записаны в {out}")


def _engine(app):
    with app.app_context():
        return db.engine


if __name__ == "__main__":
    main()
    sys.exit(0)
