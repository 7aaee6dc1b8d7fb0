"""`make bench`: the benchmark of issue 7, one Markdown table against the budgets, also written to
bench/RESULTS.md.

    python -m bench.run [--size large|tiny] [--db sqlite|postgresql|both] [--repeat N]
                        [--history] [--history-size large|tiny] [--no-load] [--load-duration S]
                        [--region N [--only-region]] [--keep-pg]

For each database: a fresh database (a SQLite file in a temporary directory — the loaded file is
cached in bench/out/cache/ — or a throwaway PostgreSQL database, dropped afterwards), the
migrations, the data set; then, through the Flask test client logged in as a real teacher, parent
and administrator of the set: the journal grid GET and a whole-lesson save POST, the diary week,
the class summary ledger .xlsx, the whole-institution ledger workbook and «Итоги успеваемости и
качества знаний» — each with its SQL statement count, p50 and p95 server time over `--repeat`
requests, and for the reports the time of the raw SQL aggregate they need and the ratio.
With `--history`: the grid and the diary again with 9 past years and with 9 other schools in the
database (data sets of `--history-size`), as ratios to the time with none. With `--region N`
(issue 20.4): the grid, the diary and the grid's save with N schools in one database against one
school, paired the same way (`--only-region`: nothing else); `--keep-pg` keeps the PostgreSQL
databases (named by BENCH_PG_PREFIX and the set) and reuses them next time — a 50-school set takes
about half an hour to load.
On PostgreSQL the load test (bench/load.py) runs last, bounded by `--load-duration`.

The text under «## Разбор» in bench/RESULTS.md (the analysis of what misses) is kept between runs.
"""
import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench import dataset, load, measure, region_rollup
from bench.dataset import BenchError, Config, log
from bench.machine import describe
from models import AcademicYear, Lesson, Mark, Organization, PeriodMark, SchoolClass, Student, db

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ANALYSIS = "## Разбор"
HISTORY_RATIO = 1.3
# The reports' budgets (issue 20, item 4): (the text, at most × the raw SQL, p50 under … seconds). The
# report card and «Итоги» are also to be faster than RosarioSIS 12's on this machine class (its p50 over HTTP:
# the report card 20 ms, the Grade Breakdown 171 ms).
BUDGETS = {
    "summary-ledger": ("≤ 0,2 с", None, 0.200),
    "institution-ledgers": ("≤ 3 × сырой SQL", 3, None),
    "school-results": ("≤ 3 × сырой SQL; p50 < 171 мс (RosarioSIS)", 3, 0.171),
    "student-report-card": ("≤ 3 × сырой SQL; p50 < 20 мс (RosarioSIS)", 3, 0.020),
}


@dataclass
class Row:
    what: str
    db: str
    sql: int | None = None
    p50: float | None = None  # seconds
    p95: float | None = None
    raw: float | None = None  # seconds, p50 of the raw SQL aggregate
    figure: str = ""  # the ratio, the throughput … or why there is no figure
    budget: str = "—"
    ok: bool | None = None  # None: no budget (or nothing measured)


GRID = "Журнал: сетка, класс ≈30 учеников × четверть (GET)"
SAVE = "Журнал: сохранение целого урока (POST, ≈30 отметок + посещаемость)"
DIARY = "Дневник: неделя (GET)"
LOAD = "Сохранения отметок под нагрузкой (gunicorn, 2 воркера)"


def ms(seconds):
    if seconds is None:
        return "—"
    value = seconds * 1000
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def mark(ok):
    return "" if ok is None else ("✅" if ok else "❌")


def measure_database(kind, app, t, repeat):
    """The rows of one database, in-process."""

    rows = []
    with app.app_context():
        counter = measure.StatementCounter(db.engine)
    try:
        journal = t.journals[0]
        for period_id, label in t.grids:
            try:
                grid = measure.measure_grid(app, counter, t, repeat, period_id)
                rows.append(Row(f"{GRID}: {journal.class_name}, {journal.subject_name}, {journal.roster_size} уч.; "
                                f"{label}", kind, grid.sql, grid.p50, grid.p95,
                                budget="≤ 10 SQL; p50 ≤ 50 мс", ok=grid.sql <= 10 and grid.p50 <= 0.050))
            except BenchError as exc:
                rows.append(Row(f"{GRID}: {label}", kind, figure=f"ошибка: {exc}", ok=False))
        try:
            save = measure.measure_save(app, counter, t, repeat)
            rows.append(Row(f"{SAVE}: {len(journal.student_ids)} отметок", kind, save.sql, save.p50, save.p95))
        except BenchError as exc:
            rows.append(Row(SAVE, kind, figure=f"ошибка: {exc}", ok=False))
        try:
            diary = measure.measure_diary(app, counter, t, repeat)
            rows.append(Row(DIARY, kind, diary.sql, diary.p50, diary.p95, budget="≤ 10 SQL; p50 ≤ 50 мс",
                            ok=diary.sql <= 10 and diary.p50 <= 0.050))
        except BenchError as exc:
            rows.append(Row(DIARY, kind, figure=f"ошибка: {exc}", ok=False))
        admin = None
        for name, (title, _) in measure.REPORTS.items():
            budget = BUDGETS.get(name, ("—", None, None))[0]
            if not measure.report_registered(name):
                rows.append(Row(f"{title} [{name}]", kind, figure="нет отчёта", budget=budget))
                continue
            try:
                admin = admin or measure.Client(app, counter).login(t.admin_login)
                sample = measure.measure_report(app, counter, t, name, repeat, admin)
                raw, raw_rows = measure.measure_raw(app, t, name, repeat)
            except BenchError as exc:
                rows.append(Row(f"{title} [{name}]", kind, figure=f"ошибка: {exc}", budget=budget, ok=False))
                continue
            ratio = sample.p50 / raw.p50 if raw.p50 else None
            ok = None
            if name in BUDGETS:
                _, most_ratio, most_p50 = BUDGETS[name]
                ok = ((most_ratio is None or (ratio is not None and ratio <= most_ratio))
                      and (most_p50 is None or sample.p50 < most_p50))
            rows.append(Row(f"{title} [{name}]", kind, sample.sql, sample.p50, sample.p95, raw.p50,
                            f"× {ratio:.1f} к сырому SQL ({raw_rows} строк)" if ratio else "", budget, ok))
    finally:
        counter.close()
    return rows


def measure_history(kind, size, seed, repeat, today, base=None, notes=None, keep=False):
    """Grid and diary with 9 past years and with 9 other schools in the database, against the set
    with none: `base` = (app, targets) of it when it is already loaded, else a fresh one. The two
    databases are measured in turns (a request to one, then the same request to the other), so a
    busy moment of the machine weighs on both sides of the ratio alike."""
    rows = []
    budget = f"≤ {HISTORY_RATIO:.1f} × без истории".replace(".", ",")
    opened = []  # (database, app) to drop at the end
    try:
        if base is None:
            database, app = dataset.prepare(kind, Config(size, seed), today, keep=keep)
            opened.append((database, app))
            with app.app_context():
                base = (app, dataset.targets(today))
        for label, config in (("9 прошлых лет", Config(size, seed, years=9)),
                              ("9 других школ", Config(size, seed, schools=10))):
            titles = [(f"История, {label}: {what}; набор {size}", key)
                      for what, key in (("журнал (сетка)", "grid"), ("дневник (неделя)", "diary"))]
            try:
                database, app = dataset.prepare(kind, config, today, keep=keep)
                opened.append((database, app))
                with app.app_context():
                    t = dataset.targets(today)
                    summary = dataset_summary()
                log(f"{kind}: {label}: {summary}")
                if notes is not None:
                    notes.append(f"История ({kind}), {label}: {summary}.")
                measured = paired(base, (app, t), repeat)
            except BenchError as exc:
                rows += [Row(title, kind, figure=f"не измерено: {exc}", budget=budget, ok=False)
                         for title, _ in titles]
                continue
            for title, key in titles:
                before, after = measured[key]
                ratio = after.p50 / before.p50
                rows.append(Row(title, kind, after.sql, after.p50, after.p95,
                                figure=f"× {ratio:.2f} (без истории: p50 {ms(before.p50)} мс, {before.sql} SQL)",
                                budget=budget, ok=ratio <= HISTORY_RATIO))
    finally:
        for database, app in opened:
            dataset.dispose(app)
            database.drop()
    return rows


def paired(a, b, repeat, keys=("grid", "diary")):
    """{"grid"|"diary"|"save": (Sample of a, Sample of b)}: the same requests to two databases, in
    turns (a first, then b first, …). `a`, `b` = (app, targets); "save" is the grid's whole-lesson save
    POST (its payload — every mark changed — built from the lesson's state outside the timing)."""

    sides = []
    for app, t in (a, b):
        with app.app_context():
            counter = measure.StatementCounter(db.engine)
        journal, diary = t.journals[0], t.diaries[0]
        teacher = measure.Client(app, counter).login(journal.login)
        sides.append({
            "counter": counter,
            "grid": (teacher, measure.grid_url(journal, journal.period_id)),
            "diary": (measure.Client(app, counter).login(diary.login),
                      f"/diary/{diary.student_id}/?week={diary.week.isoformat()}"),
            "save": (teacher, save_request(app, teacher, journal)),
        })
    result = {}
    try:
        for key in keys:
            samples = (measure.Sample(), measure.Sample())
            for n in range(measure.WARMUP + repeat):
                # A B, B A, A B …: neither database always goes first (the first of two requests in a row
                # paid for the other's garbage and cache misses: ×0.8–0.9 ratios of one set to itself)
                pairs = list(zip(sides, samples))
                for side, sample in (pairs if n % 2 == 0 else pairs[::-1]):
                    client, what = side[key]
                    method, url, kwargs = what() if callable(what) else ("get", what, {})
                    elapsed, statements, resp = client.timed(method, url, **kwargs)
                    problem = measure.ok_save(resp) if key == "save" else measure.ok_html(resp)
                    if problem:
                        raise BenchError(f"{url}: {problem}")
                    if n >= measure.WARMUP:
                        sample.times.append(elapsed)
                        sample.statements.append(statements)
            result[key] = samples
    finally:
        for side in sides:
            side["counter"].close()
    return result


def save_request(app, client, journal):
    """() → the whole-lesson save POST of `journal` (as measure.measure_save sends it)."""
    def make():
        marks, attendance = measure.lesson_state(app, journal)
        payload = measure.whole_lesson_payload(journal, marks, attendance)
        return "post", f"/journal/{journal.assignment_id}/save", {
            "data": {"payload": json.dumps(payload), "period_id": journal.period_id, "csrf_token": client.token},
            "headers": {"X-Requested-With": "fetch"}}
    return make


# -- the region (issue 20.4): N schools in one database against one school ----------------------------------

REGION_RATIO = 1.3
# More rows of the region run: functions (kind, app, targets, repeat) → [Row], e.g. the region's roll-up
# as a background job (issue 20.4: < 60 s with its progress) once the regional layer and the jobs land.
# They run on the N-school database after the paired measurements; see region_rollup_rows.
REGION_EXTRAS = []


def region_rollup_rows(kind, app, t, repeat):
    """Each roll-up of the region (reports/region_reports.py) for all the N schools put in one region, built as
    its background job builds it (bench/region_rollup.py `run_rollup`), its progress recorded: the time, per
    organization, the statements, the process's peak memory; budget < 60 s each."""
    rows = []
    for name, title, timing in region_rollup.measure_all(app, t.today):
        what = f"Регион, {timing.orgs} школ: сводка «{title}» как фоновое задание [{name}]"
        if timing.error:
            rows.append(Row(what, kind, timing.statements, timing.seconds, figure=f"ошибка: {timing.error}",
                            budget="< 60 с", ok=False))
            continue
        last = timing.calls[-1] if timing.calls else (0, timing.orgs)
        per_school = timing.seconds / max(timing.orgs, 1) * 1000
        rows.append(Row(what, kind, timing.statements, timing.seconds, timing.seconds,
                        figure=f"{timing.seconds:.1f} с, {per_school:.0f} мс на школу; прогресс "
                               f"{len(timing.calls)} отметок, последняя {last[0]}/{last[1]}; память +"
                               f"{timing.memory_mb:.0f} МБ", budget="< 60 с",
                        ok=timing.seconds < region_rollup.BUDGET and last[0] == last[1]))
    return rows


REGION_EXTRAS.append(region_rollup_rows)


def measure_region(kind, size, seed, schools, repeat, today, base=None, notes=None, keep=False):
    """Grid, diary and the grid's save with `schools` schools in the database against one school (the
    first school of both sets is the same data), paired as measure_history; then REGION_EXTRAS.
    `keep`: both PostgreSQL databases are kept for the next run (dataset.prepare(keep=True))."""
    rows = []
    budget = f"≤ {REGION_RATIO:.1f} × одна школа".replace(".", ",")
    opened = []
    titles = [(f"Регион, {schools} школ в базе: {what}; набор {size}", key)
              for what, key in (("журнал (сетка)", "grid"), ("дневник (неделя)", "diary"),
                                ("сохранение целого урока (POST)", "save"))]
    try:
        if base is None:
            database, app = dataset.prepare(kind, Config(size, seed), today, keep=keep)
            opened.append((database, app))
            with app.app_context():
                base = (app, dataset.targets(today))
        config = Config(size, seed, schools=schools)
        started = time.perf_counter()
        database, app = dataset.prepare(kind, config, today, keep=keep)
        prepared = time.perf_counter() - started
        opened.append((database, app))
        with app.app_context():
            t = dataset.targets(today)
            summary = dataset_summary()
        log(f"{kind}: {schools} школ: {summary}")
        if notes is not None:
            notes.append(f"Регион ({kind}, база {database.name}{', сохраняется' if database.kept else ''}; "
                         f"подготовка {prepared:.0f} с): {summary}.")
        measured = paired(base, (app, t), repeat, keys=("grid", "diary", "save"))
        for title, key in titles:
            before, after = measured[key]
            ratio = after.p50 / before.p50
            rows.append(Row(title, kind, after.sql, after.p50, after.p95,
                            figure=f"× {ratio:.2f} (одна школа: p50 {ms(before.p50)} мс, {before.sql} SQL)",
                            budget=budget, ok=ratio <= REGION_RATIO))
        for extra in REGION_EXTRAS:
            rows += extra(kind, app, t, repeat)
    except BenchError as exc:
        rows += [Row(title, kind, figure=f"не измерено: {exc}", budget=budget, ok=False) for title, _ in titles]
    finally:
        for database, app in opened:
            dataset.dispose(app)
            database.drop()  # a kept database stays
    return rows


def dataset_summary():
    """One line: what the loaded database holds (all organizations)."""

    counts = {label: db.session.scalar(select(func.count()).select_from(model)) for label, model in (
        ("организаций", Organization), ("учебных лет", AcademicYear), ("классов", SchoolClass),
        ("учеников", Student), ("уроков", Lesson), ("отметок", Mark), ("отметок за период", PeriodMark))}
    return ", ".join(f"{label}: {value:,}".replace(",", " ") for label, value in counts.items())


def render(rows, head, notes):
    lines = ["| Что измеряется | База | SQL | p50, мс | p95, мс | Сырой SQL p50, мс | Показатель | Бюджет | |",
             "|---|---|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.what} | {r.db} | {'—' if r.sql is None else r.sql} | {ms(r.p50)} | {ms(r.p95)} | "
                     f"{ms(r.raw)} | {r.figure.replace('|', '/')} | {r.budget} | {mark(r.ok)} |")
    table = "\n".join(lines)
    text = ["# Результаты бенчмарка (issue 7)", ""]
    text += [f"- **{label}**: {value}" for label, value in head]
    text += ["", table, ""]
    if notes:
        text += ["Примечания:", ""] + [f"- {n}" for n in notes] + [""]
    return table, "\n".join(text)


def write_results(path, document):
    """RESULTS.md: the new numbers, and the analysis section of the previous file kept."""
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if ANALYSIS in old:
            kept = old[old.index(ANALYSIS):]
    path.write_text(document + ("\n" + kept if kept else ""), encoding="utf-8")


def load_rows(url, t, args, kind, notes):
    """The load test's rows: the teachers' saves alone (issue 20.4's budget: ≥ 200 saves/s on 2 cores, 0 lost),
    then — with `--parents` — the same teachers with as many parents reading diaries, each client waiting for its
    answer (a reads-heavy mix: as many diary weeks as saves; reported against 0 errors and 0 lost)."""
    rows = []
    for parents in ((0, args.parents) if args.parents else (0,)):
        result = load.run_load(url, t, args.load_duration, args.teachers, parents, threads=args.load_threads or None)
        clean = result.errors == 0 and result.consistent
        who = f"{result.teachers} учителей сохраняют" + (f", {result.parents} родителей читают" if parents else "")
        rows.append(Row(f"{LOAD}: {who}, {result.duration:.0f} с", kind, p50=result.save_p50, p95=result.save_p95,
                        figure=result.summary(),
                        budget="0 ошибок, 0 потерь" if parents else "≥ 200 сохранений/с, 0 ошибок, 0 потерь",
                        ok=clean if parents else clean and result.saves_per_second >= 200))
        notes += [f"Нагрузка: {message}" for message in result.messages[:5]]
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Бенчмарк issue 7: журнал, дневник и отчёты на большом наборе (SQLite и PostgreSQL), "
                    "нагрузочный тест; таблица с бюджетами печатается и пишется в bench/RESULTS.md.")
    parser.add_argument("--size", choices=dataset.SIZES, default="large", help="набор данных (по умолчанию large)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both",
                        help="база (по умолчанию обе)")
    parser.add_argument("--repeat", type=int, default=20, help="запросов на измерение (по умолчанию 20)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--history", action="store_true", help="сетка и дневник с 9 прошлыми годами и 9 школами")
    parser.add_argument("--history-size", choices=dataset.SIZES, default=None,
                        help="набор для истории (по умолчанию как --size)")
    parser.add_argument("--region", type=int, default=0, metavar="N",
                        help="сетка, дневник и сохранение с N школами в базе против одной школы (issue 20.4)")
    parser.add_argument("--only-region", action="store_true",
                        help="только замер --region (без основных строк, отчётов и нагрузки)")
    parser.add_argument("--keep-pg", action="store_true",
                        help="базы PostgreSQL не удалять и брать готовые в следующий раз (имя: BENCH_PG_PREFIX, "
                             "набор и число школ; новые миграции применяются к ним)")
    parser.add_argument("--no-load", action="store_true", help="без нагрузочного теста")
    parser.add_argument("--load-duration", type=float, default=60, help="секунд нагрузки (по умолчанию 60)")
    parser.add_argument("--teachers", type=int, default=50, help="учителей в нагрузке (по умолчанию 50)")
    parser.add_argument("--parents", type=int, default=50, help="родителей в нагрузке (по умолчанию 50)")
    parser.add_argument("--load-threads", type=int, default=4,
                        help="потоков в воркере gunicorn под нагрузкой (gthread; 0 — sync-воркеры; по умолчанию 4: "
                             "сохранение больше ждёт базу, чем считает, см. bench/RESULTS.md)")
    parser.add_argument("--no-cache", action="store_true", help="не брать SQLite-базу из bench/out/cache")
    parser.add_argument("--out", default=str(RESULTS), help="куда записать таблицу (по умолчанию bench/RESULTS.md)")
    args = parser.parse_args(argv)

    today = dataset.set_today()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    pg_version = dataset.pg_server_version() if "postgresql" in kinds else None
    history_size = args.history_size or args.size
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    notes = [f"Команда: `{command.strip()}`; генератор набора: {dataset.generator_name()}; "
             f"сегодня {today:%d.%m.%Y}."]
    rows, summaries = [], {}
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    for kind in kinds:
        database = app = None
        try:
            if args.only_region:
                if not args.region:
                    raise BenchError("--only-region без --region N")
                log(f"{kind}: регион, {args.region} школ …")
                rows += measure_region(kind, args.size, args.seed, args.region, args.repeat, today, None, notes,
                                       keep=args.keep_pg)
                continue
            database, app = dataset.prepare(kind, Config(args.size, args.seed), today, use_cache=not args.no_cache,
                                            keep=args.keep_pg)
            with app.app_context():
                t = dataset.targets(today, teachers=args.teachers, parents=args.parents)
                summaries[kind] = dataset_summary()
            log(f"{kind}: измерения ({args.repeat} повторов) …")
            base_rows = measure_database(kind, app, t, args.repeat)
            rows += base_rows
            if args.history:
                log(f"{kind}: история (набор {history_size}) …")
                rows += measure_history(kind, history_size, args.seed, args.repeat, today,
                                        (app, t) if history_size == args.size else None, notes, keep=args.keep_pg)
            if args.region:
                log(f"{kind}: регион, {args.region} школ …")
                rows += measure_region(kind, args.size, args.seed, args.region, args.repeat, today, (app, t), notes,
                                       keep=args.keep_pg)
            if kind == "postgresql" and not args.no_load:
                dataset.dispose(app)
                rows += load_rows(database.url, t, args, kind, notes)
        except BenchError as exc:
            log(f"{kind}: {exc}")
            rows.append(Row("Бенчмарк не выполнен", kind, figure=str(exc), ok=False))
        finally:
            if app is not None:
                dataset.dispose(app)
            if database is not None:
                database.drop()
    notes += [f"Набор ({kind}): {summary}." for kind, summary in summaries.items()]
    notes += ["Время — серверное: весь WSGI-вызов через тестовый клиент Flask в том же процессе (маршрут, "
              "сеанс, права, SQL, шаблон или .xlsx); p50 и p95 по повторам после 2 прогревочных. SQL — "
              "число операторов за запрос (слушатель before_cursor_execute); для отчётов «сырой SQL» — "
              "одна рукописная выборка отметок за период (ученики × предметы с составом классов), "
              "показатель — p50 отчёта / p50 сырого SQL."]
    if not args.no_load and not args.only_region and "postgresql" in kinds:
        workers = f"2 gthread-воркерами (потоков в каждом: {args.load_threads})" if args.load_threads \
            else "2 sync-воркерами"
        notes.append(f"Нагрузка: gunicorn с {workers} на 127.0.0.1, клиенты — потоки http.client в "
                     "том же 2-ядерном компьютере (делят процессор с сервером и PostgreSQL); учитель "
                     "сохраняет 1–3 отметки за запрос; время — у клиента (с очередью к воркерам).")
    head = describe(pg_version)
    head.append(("Загрузка машины", f"load average за 1 мин: {load_before:.1f} в начале, {os.getloadavg()[0]:.1f} "
                                    f"в конце (на 2 ядрах работают и другие процессы: цифры — с их шумом)"
                 if len(os.sched_getaffinity(0)) <= 4 else
                 f"load average за 1 мин: {load_before:.1f} в начале, {os.getloadavg()[0]:.1f} в конце"))
    head.append(("Длительность", f"{(time.perf_counter() - started) / 60:.0f} мин"))
    table, document = render(rows, head, notes)
    print(table)
    out = Path(args.out)
    write_results(out, document)
    log(f"готово за {time.perf_counter() - started:.0f} с; таблица записана в {out}")
    return rows


if __name__ == "__main__":
    main()
    sys.exit(0)
