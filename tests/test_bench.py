"""The benchmark harness (bench/, issue 7) at the tiny size: it keeps working, its table has every
row, the query budgets of the journal grid and the diary hold, the grid parser of the load test
reads what the database holds, and — on PostgreSQL — the load test against gunicorn keeps every
accepted save."""
import argparse
import json
import os

import pytest
from sqlalchemy import select, update

from bench import dataset, load, measure, run
from models import Lesson, Mark, db

# Real commits: the benchmark's data set and its load test (gunicorn on PostgreSQL).
pytestmark = pytest.mark.real_commits


def row(rows, title):
    found = [r for r in rows if r.what.startswith(title)]
    assert len(found) == 1, (title, [r.what for r in rows])
    return found[0]


def test_harness_at_tiny_size_on_sqlite_prints_every_row(tmp_path, monkeypatch, capsys):
    # a report not written yet is a row «нет отчёта», not a crash
    monkeypatch.setitem(measure.REPORTS, "no-such-report", ("Отчёт, которого нет", ("year",)))
    out = tmp_path / "RESULTS.md"
    out.write_text("старая таблица\n\n## Разбор\n\nанализ остаётся\n", encoding="utf-8")
    rows = run.main(["--size", "tiny", "--db", "sqlite", "--repeat", "3", "--no-cache", "--no-load",
                     "--out", str(out)])

    grids = [r for r in rows if r.what.startswith(run.GRID)]  # the open quarter, the longest one
    save, diary = row(rows, run.SAVE), row(rows, run.DIARY)
    assert grids and all(r.db == "sqlite" for r in rows)
    assert any("открыта, правка" in r.what for r in grids)
    for grid in grids:
        assert 0 < grid.sql <= 10, grid  # the budget
        assert grid.ok is not None
    assert 0 < diary.sql <= 10 and diary.ok is not None, diary  # the budget
    assert save.sql > 0 and save.p50 > 0 and "ошибка" not in save.figure
    for name, (title, _) in measure.REPORTS.items():
        r = row(rows, title)
        if name == "no-such-report":
            assert r.figure == "нет отчёта" and r.sql is None
        elif measure.report_registered(name):
            assert r.sql > 0 and r.p50 > 0 and r.raw > 0 and "к сырому SQL" in r.figure, r
    for r in rows:
        assert r.p50 is None or r.p50 <= r.p95

    printed = capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    for r in rows:
        assert r.what in printed and r.what in text
    assert "| Что измеряется | База | SQL | p50, мс | p95, мс |" in text
    assert "nproc = " in text and "Python" in text and "SQLite" in text
    assert "старая таблица" not in text and text.rstrip().endswith("анализ остаётся")
    assert "≤ 10 SQL; p50 ≤ 50 мс" in text and "≤ 3 × сырой SQL" in text


def test_percentile_is_the_nearest_rank():
    values = [v / 1000 for v in range(20, 0, -1)]  # 0.020 … 0.001, unsorted
    # p50 of 20 values: rank ⌈20 × 0.5⌉ = 10 → the 10th smallest, 0.010;
    # p95: rank ⌈20 × 0.95⌉ = 19 → 0.019
    assert measure.percentile(values, 50) == 0.010
    assert measure.percentile(values, 95) == 0.019
    assert measure.percentile([], 50) is None


def test_grid_parser_of_the_load_test_reads_the_versions_the_database_holds(app):
    today = dataset.set_today()
    dataset.load_dataset(dataset.Config("tiny"), today)
    t = dataset.targets(today)
    journal = t.journals[0]
    marks, attendance = measure.lesson_state(app, journal)

    # one whole-lesson save through the page, as the harness makes it: every mark changes
    with app.app_context():
        counter = measure.StatementCounter(db.engine)
    try:
        client = measure.Client(app, counter).login(journal.login)
        payload = measure.whole_lesson_payload(journal, marks, attendance)
        _, statements, resp = client.timed("post", f"/journal/{journal.assignment_id}/save", data={
            "payload": json.dumps(payload), "period_id": journal.period_id, "csrf_token": client.token},
            headers={"X-Requested-With": "fetch"})
        assert resp.status_code == 200 and resp.get_json()["ok"], resp.get_data(as_text=True)
        assert statements > 0
        html = client.request("get", f"/journal/{journal.assignment_id}/?period={journal.period_id}") \
            .get_data(as_text=True)
    finally:
        counter.close()

    token, cells = load.parse_grid(html)
    assert token
    after, _ = measure.lesson_state(app, journal)
    for sid in journal.student_ids:
        before_value, before_version = marks.get(sid, (None, None))
        value, version = after[sid]
        # the harness's cycle 5 → 4 → 3 → 5; a new mark starts at version 1, a changed one goes up by one
        assert value == measure.next_value(journal.values, before_value) != before_value
        assert version == (1 if before_version is None else before_version + 1)
        assert cells[(journal.task_id, sid)] == (value, version)


def test_next_value_cycles_through_three_marks():
    values = ("5", "4", "3", "2", "1")
    assert [measure.next_value(values, v) for v in ("5", "4", "3", "2", None)] == ["4", "3", "5", "5", "5"]


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="the load test runs gunicorn on the test's PostgreSQL database")
def test_load_test_against_gunicorn_keeps_every_accepted_save(app):
    today = dataset.set_today()
    dataset.load_dataset(dataset.Config("tiny"), today)
    t = dataset.targets(today, teachers=2, parents=2)
    db.session.remove()
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    result = load.run_load(url, t, duration=3, teachers=2, parents=2)

    assert result.errors == 0 and result.server_tracebacks == 0, result.messages
    assert result.teachers == 2 and result.parents == 2
    assert result.saves > 0 and result.reads > 0 and result.marks >= result.saves
    assert result.lost == 0 and result.duplicates == 0 and result.uncertain == 0
    assert result.checked_cells > 0 and result.saves_per_second > 0
    # by hand: each accepted cell holds the client's last value, and its version went up once per
    # accepted change of it
    teacher = result.clients[0]
    cell, value = next(iter(teacher.accepted.items()))
    stored = db.session.execute(select(Mark.value, Mark.version).where(
        Mark.task_id == cell[0], Mark.student_id == cell[1])).one()
    assert tuple(stored) == (value, teacher.cells[cell][1])

    # the check finds a save that did not survive
    db.session.execute(update(Mark).where(Mark.task_id == cell[0], Mark.student_id == cell[1])
                       .values(value="2" if value != "2" else "3"))
    db.session.commit()
    again = load.LoadResult(duration=1, teachers=2, parents=2, workers=2)
    load.check_consistency(url, result.clients, again)
    assert again.lost == 1 and again.checked_cells == result.checked_cells


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
                    reason="the load test runs gunicorn on the test's PostgreSQL database")
def test_two_sessions_on_one_lesson_and_a_close_lose_nothing_and_let_nothing_in_late(app):
    today = dataset.set_today()
    dataset.load_dataset(dataset.Config("tiny"), today)
    t = dataset.targets(today, teachers=2)
    db.session.remove()
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    result = load.run_contention(url, t, duration=4, pairs=2, threads=4, close_at=0.5)

    assert result.errors == 0 and result.server_tracebacks == 0, result.messages
    assert result.saves > 0 and result.conflicts > 0, "the two sessions never met"
    assert result.close_seconds is not None and result.close_seconds < 2
    assert result.refused_after_close == 2 * result.pairs  # every session was stopped by the close
    assert result.lost == 0 and result.duplicates == 0 and result.late == 0, result.messages
    assert result.checked > 0

    # the check finds a lesson's topic written over after the close
    lesson_id = t.journals[0].lesson_id
    db.session.execute(update(Lesson).where(Lesson.id == lesson_id)
                       .values(topic="чужая тема", version=Lesson.version + 1))
    db.session.commit()
    again = load.ContentionResult(duration=1, pairs=2, workers=2, threads=4)
    load.check_rivals(url, *result.checked_with, again)
    assert again.lost == 1 and again.late == 1


def test_region_run_pairs_grid_diary_and_save_against_one_school(tmp_path, monkeypatch):
    # issue 20.4: `--region N --only-region` — the grid, the diary and the grid's save with N schools in the
    # database against one school, as ratios; then each region roll-up as its job builds it, with its progress
    out = tmp_path / "RESULTS.md"
    rows = run.main(["--size", "tiny", "--db", "sqlite", "--repeat", "2", "--no-cache", "--region", "2",
                     "--only-region", "--out", str(out)])
    region = [r for r in rows if r.what.startswith("Регион, 2 школ в базе")]
    assert [r.what.split(": ", 1)[1] for r in region] == [
        "журнал (сетка); набор tiny", "дневник (неделя); набор tiny", "сохранение целого урока (POST); набор tiny"]
    for r in region:
        assert r.sql > 0 and r.p50 > 0 and r.figure.startswith("× ") and "одна школа" in r.figure, r
        assert r.ok is not None and r.budget == "≤ 1,3 × одна школа"
    rollups = [r for r in rows if r.what.startswith("Регион, 2 школ: сводка")]
    assert [r.what.rsplit("[", 1)[1] for r in rollups] == [
        "results]", "results-year]", "movement]", "activity]", "deadlines]", "oo1]", "control]"]
    for r in rollups:
        assert r.ok and r.sql > 0 and r.p50 > 0 and "последняя 2/2" in r.figure and r.budget == "< 60 с", r
    assert not any(r.what.startswith(run.GRID) or r.what.startswith(run.LOAD) for r in rows)  # only the region
    text = out.read_text(encoding="utf-8")
    assert "Регион (sqlite" in text and "организаций: 2" in text


def test_kept_postgresql_database_is_reused_and_never_dropped(monkeypatch):
    # `--keep-pg`: the loaded set stays for the next run (a 50-school set loads for half an hour)
    if dataset.pg_server_version() is None:
        pytest.skip("нет сервера PostgreSQL")
    monkeypatch.setattr(dataset, "PG_PREFIX", f"journal_keeptest_{os.getpid()}")
    today = dataset.set_today()
    config = dataset.Config("tiny")
    database, app = dataset.prepare("postgresql", config, today, keep=True)
    try:
        assert database.kept and database.name == dataset.kept_name(config)
        dataset.dispose(app)
        database.drop()  # a kept database stays

        def no_second_load(*args, **kwargs):
            raise AssertionError("набор загружается второй раз")

        monkeypatch.setattr(dataset, "load_dataset", no_second_load)
        again, app = dataset.prepare("postgresql", config, today, keep=True)
        with app.app_context():
            assert again.name == database.name and run.dataset_summary().startswith("организаций: 1")
        dataset.dispose(app)
    finally:
        dataset.Database("postgresql", database.url, database.name).drop()


def test_the_load_rows_are_the_saves_alone_against_the_budget_then_the_mix(monkeypatch):
    """`make bench`'s load: the teachers' saves alone carry issue 20.4's budget (≥ 200 saves/s, nothing lost), the
    mix with as many parents reading diaries is reported against errors and losses only."""
    asked = []

    def fake_run_load(url, t, duration, teachers, parents, threads=None):
        asked.append((teachers, parents, threads))
        result = load.LoadResult(duration=10, teachers=teachers, parents=parents, workers=2,
                                 saves=2500 if not parents else 600, reads=600 if parents else 0)
        result.messages = [f"сообщение {parents}"]
        return result

    monkeypatch.setattr(load, "run_load", fake_run_load)
    args = argparse.Namespace(load_duration=10, teachers=50, parents=50, load_threads=4)
    notes = []
    rows = run.load_rows("postgresql://x", None, args, "postgresql", notes)
    assert asked == [(50, 0, 4), (50, 50, 4)]
    alone, mixed = rows
    assert "родител" not in alone.what and alone.budget.startswith("≥ 200 сохранений/с") and alone.ok
    assert "50 родителей читают" in mixed.what and "200" not in mixed.budget and mixed.ok
    assert notes == ["Нагрузка: сообщение 0", "Нагрузка: сообщение 50"]
    args.parents = 0
    asked.clear()
    slow = run.load_rows("postgresql://x", None, args, "postgresql", [])
    assert asked == [(50, 0, 4)] and len(slow) == 1
    monkeypatch.setattr(load, "run_load", lambda *a, **k: load.LoadResult(duration=10, teachers=50, parents=0,
                                                                          workers=2, saves=1500))
    assert not run.load_rows("postgresql://x", None, args, "postgresql", [])[0].ok  # 150/s misses the budget
