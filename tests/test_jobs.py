"""Background jobs (issue 20.2, services/jobs/): the row in the database, the one runner (claim once, progress,
result, the Russian error, retries of transient failures), «Мои задания» (the owner's only), the in-process
thread pool, RQ on a real Redis, and the work moved onto them: the journal archive (tests/test_journal_archive.py),
the institution's ledgers, the e-mail queue."""
import io
import logging
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from bench.import_students import student_rows, workbook
from models import (AcademicYear, Job, JobResult, Notification, RolloverStep, SchoolClass, Student, TeachingAssignment,
                    User, db)
from services import clock, imports, notify, uow
from services.imports import background as import_background, core as core_import, jobs as import_uploads
from services.errors import DomainError
from services.context import Actor
from services.jobs import backends, core as jobs, registry
from services.jobs.registry import Result, job_kind
from services.jobs.worker import AppSimpleWorker
from tests.factories import EARLY_REASON, actor_of, make_staff
from tests.querycount import count_queries
from tests.helpers import real_clock_environ

CALLS = {}


@job_kind("test-count", title="Проверка: счёт", retries=2)
def _count(ctx, actor, params):
    CALLS["count"] = CALLS.get("count", 0) + 1
    total = int(params["n"])
    for i in range(1, total + 1):
        ctx.progress(i, total, f"шаг {i}")
    return Result("schet.txt", "text/plain", f"{actor.org.short_name}: {total}".encode())


@job_kind("test-refused", title="Проверка: отказ", retries=2)
def _refused(ctx, actor, params):
    raise DomainError("Учебный год 2030/2031 не найден.")


@job_kind("test-broken", title="Проверка: сбой", retries=2)
def _broken(ctx, actor, params):
    raise RuntimeError("Иванов Иван: secret detail")


@job_kind("test-flaky", title="Проверка: сбой базы", retries=1)
def _flaky(ctx, actor, params):
    CALLS["flaky"] = CALLS.get("flaky", 0) + 1
    if CALLS["flaky"] <= int(params.get("fail", 1)):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    return Result("ok.txt", "text/plain", b"ok")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


@pytest.fixture
def sync(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "sync")


def start(login, kind, **params):
    actor = actor_of(login)
    with uow.unit():
        job_id = jobs.enqueue(actor, kind, params)
    return job_id


def row(job_id):
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_reports_progress_and_keeps_its_result(world, sync):
    job_id = start("a.admin", "test-count", n=3)
    job = row(job_id)
    assert len(job_id) == 32 and int(job_id, 16) >= 0
    assert (job.state, job.progress_done, job.progress_total, job.progress_text) == ("done", 3, 3, "шаг 3")
    assert job.user_id == actor_of("a.admin").user_id
    assert job.org_id == world.a.org.id and job.attempts == 1 and job.finished_at is not None
    result = db.session.get(JobResult, job_id)
    assert (result.file_name, result.mime, result.size) == ("schet.txt", "text/plain", len(result.content))
    # The runner claims a job once: run again, it is not run twice.
    assert jobs.run(job_id) is None and CALLS["count"] == 1


def test_the_job_is_dispatched_only_after_the_unit_commits(world, sync):
    actor = actor_of("a.admin")
    with pytest.raises(ZeroDivisionError), uow.unit():
        job_id = jobs.enqueue(actor, "test-count", {"n": 1})
        1 / 0
    assert "count" not in CALLS and db.session.get(Job, job_id) is None


def test_a_refusal_fails_with_its_russian_message_and_an_error_with_a_generic_one(world, sync, caplog):
    refused = row(start("a.admin", "test-refused"))
    assert (refused.state, refused.error, refused.attempts) == ("failed", "Учебный год 2030/2031 не найден.", 1)
    with caplog.at_level(logging.ERROR, logger="journal.jobs"):
        broken = row(start("a.admin", "test-broken"))
    assert broken.state == "failed" and broken.error == jobs.FAILED and broken.attempts == 1
    assert "Иванов" not in broken.error and any(r.exc_info for r in caplog.records)  # the traceback in the log
    assert db.session.get(JobResult, broken.id) is None


def test_a_transient_database_failure_is_tried_again(world, sync):
    job = row(start("a.admin", "test-flaky", fail=1))
    assert (job.state, job.attempts, CALLS["flaky"]) == ("done", 2, 2)
    CALLS.clear()
    job = row(start("a.admin", "test-flaky", fail=5))  # retries=1: two attempts, then the Russian error
    assert (job.state, job.attempts, job.error) == ("failed", 2, jobs.FAILED_DB)


def test_my_jobs_page_the_status_the_download_and_the_retry(world, sync, browser):
    done = start("a.admin", "test-count", n=2)
    failed = start("a.admin", "test-refused")
    b = browser()
    b.login("a.admin")
    page = b.get("/jobs/").get_data(as_text=True)
    assert "Мои задания" in page and "Проверка: счёт" in page and "Учебный год 2030/2031 не найден." in page
    assert "Повторить" in page and "/static/jobs.js" in page and "<script>" not in page
    assert f'data-status-url="/jobs/status/{done}"' in page
    status = b.get(f"/jobs/status/{done}").get_json()
    assert status["state"] == "done" and status["done"] == status["total"] == 2
    assert status["download"] == f"/jobs/download/{done}"
    download = b.get(status["download"])
    assert download.status_code == 200 and download.data.endswith(b": 2") and download.mimetype == "text/plain"
    assert b.get(f"/jobs/download/{failed}").status_code == 404  # no result
    assert b.get(f"/jobs/status/{failed}").get_json()["error"] == "Учебный год 2030/2031 не найден."
    # «Повторить»: queued again and run (its attempts counted afresh); a job that did not fail is not repeated.
    assert b.post(f"/jobs/retry/{failed}").status_code == 302
    assert row(failed).state == "failed" and row(failed).attempts == 1
    assert b.post(f"/jobs/retry/{done}", follow_redirects=True).get_data(as_text=True).count(
        "Повторить можно только задание, завершившееся ошибкой.") == 1


def test_only_the_owner_sees_a_job(world, sync, browser):
    job_id = start("a.admin", "test-count", n=1)
    for login in ("a.deputy", "b.admin", "a.teacher"):
        other = browser()
        other.login(login)
        assert other.get(f"/jobs/status/{job_id}").status_code == 404, login
        assert other.get(f"/jobs/download/{job_id}").status_code == 404, login
        assert other.post(f"/jobs/retry/{job_id}").status_code == 404, login
        assert job_id not in other.get("/jobs/").get_data(as_text=True), login
    owner = browser()
    owner.login("a.admin")
    assert owner.get("/jobs/status/not-a-job").status_code == 404
    assert owner.get(f"/jobs/status/{uuid.uuid4().hex}").status_code == 404


def test_old_jobs_are_pruned(world, sync):
    old = start("a.admin", "test-count", n=1)
    with clock.frozen(clock.utcnow() + timedelta(days=jobs.KEEP_DAYS + 1)):
        start("a.admin", "test-count", n=1)
    db.session.expire_all()
    assert db.session.get(Job, old) is None and db.session.get(JobResult, old) is None


def wait_for(job_id, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        job = row(job_id)
        if job.state in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


@pytest.mark.real_commits  # the thread has a connection of its own: it must see the committed row
def test_without_redis_the_jobs_run_in_threads_of_the_app(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "auto")
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert backends.backend() == "thread"
    ids = [start("a.admin", "test-count", n=2, i=i) for i in range(3)]  # three jobs (an identical one: the same)
    for job_id in ids:
        job = wait_for(job_id)
        assert job.state == "done" and job.progress_done == 2
    assert CALLS["count"] == 3
    # A transient failure in a thread: queued again and run by the pool.
    monkeypatch.setattr(backends, "RETRY_DELAYS", (0, 0, 0))
    assert wait_for(start("a.admin", "test-flaky", fail=1)).state == "done"


REDIS = "redis://127.0.0.1:6379/0"


def _redis_or_skip():
    try:
        backends.redis_connection(REDIS).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis at 127.0.0.1:6379 does not answer ({type(exc).__name__}); CI runs it")


@pytest.fixture
def rq_queue(app, monkeypatch):
    _redis_or_skip()
    name = f"journal-test-{uuid.uuid4().hex[:12]}"  # a queue of this run alone
    for key, value in {"JOBS_BACKEND": "auto", "REDIS_URL": REDIS, "JOBS_QUEUE": name,
                       "JOBS_RETRY_DELAYS": (0, 0, 0)}.items():
        monkeypatch.setitem(app.config, key, value)
    backends._redis_ok.clear()
    queue = backends.queue()
    yield queue
    queue.delete(delete_jobs=True)


def _burst(queue):
    AppSimpleWorker([queue], connection=queue.connection).work(burst=True)


@pytest.mark.real_commits  # the worker reads the committed row
def test_with_redis_the_jobs_go_through_rq(world, app, rq_queue):
    assert backends.backend() == "rq"
    job_id = start("a.admin", "test-count", n=4)
    assert row(job_id).state == "queued" and rq_queue.count == 1
    _burst(rq_queue)
    job = row(job_id)
    assert (job.state, job.progress_done, job.attempts) == ("done", 4, 1)
    assert db.session.get(JobResult, job_id).content.endswith(b": 4")
    # A transient failure: RQ's Retry runs it again; a refusal: failed with its message, not retried.
    flaky = start("a.admin", "test-flaky", fail=1)
    refused = start("a.admin", "test-refused")
    _burst(rq_queue)
    assert (row(flaky).state, row(flaky).attempts) == ("done", 2)
    assert (row(refused).state, row(refused).error) == ("failed", "Учебный год 2030/2031 не найден.")


def test_flask_worker_needs_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL не задан" in result.output


@pytest.mark.real_commits
def test_flask_worker_runs_the_queue(world, app, rq_queue):
    job_id = start("a.admin", "test-count", n=1)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert row(job_id).state == "done"


# -- the work moved onto the jobs ----------------------------------------------------------------------------

def test_the_institution_ledgers_as_a_job(report_school, sync, browser):
    b = browser()
    b.login("a.admin")
    page = b.get("/reports/institution-ledgers/?year=2026/2027").get_data(as_text=True)
    assert "Сформировать .xlsx в фоне" in page and "/static/jobs.js" in page
    started = b.post("/reports/institution-ledgers/job", data={"year": "2026/2027"})
    assert started.status_code == 302 and "/reports/institution-ledgers/" in started.location
    job = db.session.scalar(select(Job).where(Job.kind == "report-xlsx"))
    assert job.state == "done" and job.title.startswith("Сводные ведомости") and job.progress_done == 3
    page = b.get(started.location).get_data(as_text=True)
    assert f'data-status-url="/jobs/status/{job.id}"' in page and "Скачать .xlsx" in page
    download = b.get(f"/jobs/download/{job.id}")
    assert download.status_code == 200 and download.headers["Content-Disposition"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.data))
    assert len(book.sheetnames) >= 2  # a sheet per class
    # Bad parameters: the Russian message, no job; a role without the export: refused.
    before = db.session.query(Job).count()
    refused = b.post("/reports/institution-ledgers/job", data={"year": "1999/2000"}, follow_redirects=True)
    assert refused.status_code == 200 and db.session.query(Job).count() == before
    teacher = browser()
    teacher.login("a.teacher")
    assert teacher.post("/reports/institution-ledgers/job", data={"year": "2026/2027"}).status_code in (403, 404)


def test_the_journal_archive_is_a_job_of_its_starter(report_school, sync, browser):
    b = browser()
    b.login("a.deputy")
    started = b.post("/journal-archive/all", data={"year": "2026/2027"})
    job_id = started.location.split("job=")[1]
    job = row(job_id)
    assert job.kind == "journal-archive" and job.state == "done" and job.progress_done == job.progress_total == 3
    assert job.title == "Архив журналов всех классов за 2026/2027"
    mine = b.get("/jobs/").get_data(as_text=True)
    assert "Архив журналов всех классов за 2026/2027" in mine
    download = b.get(f"/jobs/download/{job_id}")
    assert len(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) == 3
    assert b.get(f"/journal-archive/download/{job_id}").data == download.data


def test_queued_emails_are_sent_by_a_job(world, app, sync, monkeypatch):
    for key, value in {"MAIL_ENABLED": True, "JOBS_NOTIFY": True, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9,
                       "MAIL_USE_TLS": False, "MAIL_USE_SSL": False, "MAIL_TIMEOUT": 1,
                       "MAIL_FROM": "journal@school.example"}.items():
        monkeypatch.setitem(app.config, key, value)
    world.a.teacher.email = "teacher@example.org"
    db.session.flush()
    with uow.unit():
        notify.enqueue(world.a.teacher.user_id, "message", "Новое сообщение", "Вам пришло сообщение.",
                       org_id=world.a.org.id)
        notify.enqueue(world.a.teacher.user_id, "message", "Ещё сообщение", "Вам пришло сообщение.",
                       org_id=world.a.org.id)
    sends = db.session.scalars(select(Job).where(Job.kind == "notify-send")).all()
    assert len(sends) == 1 and sends[0].user_id is None  # one job for the unit's e-mails
    assert sends[0].state == "done" and "будет повторено: 2" in sends[0].progress_text  # the port refuses
    notes = db.session.scalars(select(Notification)).all()
    assert {n.attempts for n in notes} == {1} and not any(n.sent_at for n in notes)
    # Without JOBS_NOTIFY the queue waits for `flask notify send` as before.
    monkeypatch.setitem(app.config, "JOBS_NOTIFY", False)
    with uow.unit():
        notify.enqueue(world.a.teacher.user_id, "message", "Третье", "…", org_id=world.a.org.id)
    assert db.session.query(Job).filter(Job.kind == "notify-send").count() == 1


def test_a_big_import_is_applied_by_a_job(world, app, sync, browser, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 5)  # «big»: more than 5 rows
    rows = student_rows([("5А", 5)], 12, 60, snils_base=600_000_000, file_prefix="Ф-")
    b = browser()
    b.login("a.admin")
    before = db.session.query(Student).count()
    checked = b.post("/imports/check/", data={"kind": "students", "file": (io.BytesIO(workbook(rows)), "f.xlsx")},
                     content_type="multipart/form-data")
    upload_id = checked.headers["Location"].rstrip("/").split("/")[-1]
    applied = b.post(f"/imports/job/{upload_id}/apply/", follow_redirects=True)
    assert "Файл загружается в фоне" in applied.get_data(as_text=True)
    job = db.session.scalar(select(Job).where(Job.kind == "import-apply"))
    assert (job.state, job.progress_done, job.progress_total) == ("done", len(rows), len(rows)), job.error
    assert db.session.query(Student).count() == before + 12
    page = b.get(f"/imports/job/{upload_id}/").get_data(as_text=True)
    assert "Загружено." in page and 'id="import-apply"' not in page
    # A second «Загрузить» (a double click) applies nothing more.
    again = b.post(f"/imports/job/{upload_id}/apply/", follow_redirects=True)
    assert "уже загружен" in again.get_data(as_text=True) and db.session.query(Student).count() == before + 12
    assert db.session.query(Job).filter(Job.kind == "import-apply").count() == 1


def test_a_big_import_with_a_bad_row_fails_its_job_and_writes_nothing(world, app, sync, browser, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 5)
    rows = student_rows([("5А", 5)], 8, 60, snils_base=610_000_000, file_prefix="Х-")
    actor = actor_of("a.admin")
    preview = core_import.run(actor, imports.get("students"), workbook(rows))
    upload_id = import_uploads.create(actor, "students", "f.xlsx", workbook(rows), preview)
    with uow.unit():
        assert import_uploads.claim(actor, upload_id) is not None
        upload = import_uploads.load(actor, upload_id)
        # The apply is refused by a rule when the job runs (after the check passed).
        monkeypatch.setattr(imports.get("students").__class__, "apply",
                            lambda self, *a, **k: (_ for _ in ()).throw(DomainError("Класс 5А закрыт.")))
        job_id = import_background.start(actor, upload_id, upload)
    job = row(job_id)
    assert job.state == "failed" and job.error == "Файл не загружен: Класс 5А закрыт."
    assert import_uploads.load(actor, upload_id)["state"] == import_uploads.REFUSED


def test_the_rollovers_heavy_steps_run_as_jobs(rollover_school, app, sync, ro_browser, monkeypatch):
    a = rollover_school
    b = ro_browser("a.admin")
    b.post(f"/rollover/step/1/?year_id={a.year.id}")
    b.post(f"/rollover/step/2/?year_id={a.year.id}", data={"confirm": "2026/2027", "reason": EARLY_REASON})
    b.post(f"/rollover/step/3/?year_id={a.year.id}")
    monkeypatch.setitem(app.config, "ROLLOVER_BACKGROUND_STUDENTS", 0)  # this school counts as a large one
    # A bad date: the job fails with the step's Russian message, shown on the step's page; nothing is done.
    b.post(f"/rollover/step/4/?year_id={a.year.id}", data={"order_number": "45-у", "order_date": "32.05.2027"})
    failed = db.session.scalar(select(Job).where(Job.kind == "rollover-step"))
    assert failed.state == "failed" and "дд.мм.гггг" in failed.error
    html = b.get(f"/rollover/step/4/?year_id={a.year.id}").get_data(as_text=True)
    assert f'data-status-url="/jobs/status/{failed.id}"' in html and failed.error in html
    assert "/static/jobs.js" in html and "<script>" not in html
    assert db.session.scalar(select(func.count(RolloverStep.id)).where(RolloverStep.step == 4)) == 0
    resp = b.post(f"/rollover/step/4/?year_id={a.year.id}", data={"order_number": "45-у", "order_date": "28.05.2027"})
    assert resp.status_code == 302 and "/rollover/step/4/" in resp.headers["Location"]
    step4 = db.session.scalars(select(Job).where(Job.kind == "rollover-step").order_by(Job.created_at.desc(),
                                                                                         Job.id)).all()
    assert sorted(j.state for j in step4) == ["done", "failed"]
    new = db.session.scalar(select(AcademicYear).where(AcademicYear.name == "2027/2028"))
    assert db.session.scalar(select(SchoolClass.id).where(SchoolClass.year_id == new.id, SchoolClass.name == "6А"))
    b.post(f"/rollover/step/5/?year_id={a.year.id}")
    assert db.session.scalar(select(func.count(TeachingAssignment.id)).where(TeachingAssignment.year_id == new.id)) == 5
    html = b.get(f"/rollover/step/5/?year_id={a.year.id}").get_data(as_text=True)
    assert "Шаг выполнен" in html


def _job_row(actor, state, attempts, age, heartbeat_age=None, progress_total=1):
    """A «test-count» job row of `actor`'s as a worker left it: created `age` ago, its heartbeat `heartbeat_age`
    ago (None: never beat)."""
    now = clock.utcnow()
    return Job(id=uuid.uuid4().hex, org_id=actor.org_id, user_id=actor.user_id, kind="test-count", title="т",
               params='{"n": 1}', state=state, attempts=attempts, max_attempts=3, created_at=now - age,
               heartbeat_at=now - heartbeat_age if heartbeat_age is not None else None, progress_done=0,
               progress_total=progress_total, progress_text="", error="")


def test_a_job_whose_process_died_is_run_again_once(world, sync):
    actor = actor_of("a.admin")
    died = _job_row(actor, "running", 1, timedelta(hours=2), jobs.STALE + timedelta(minutes=1))
    lost = _job_row(actor, "queued", 0, timedelta(minutes=5), progress_total=0)
    alive = _job_row(actor, "running", 1, timedelta(hours=1), timedelta(minutes=1), progress_total=0)
    db.session.add_all([died, lost, alive])
    db.session.flush()
    assert sorted(jobs.orphans()) == sorted([died.id, lost.id])
    assert backends.redispatch_orphans() == 2
    assert (row(died.id).state, row(died.id).attempts) == ("done", 2)
    assert row(lost.id).state == "done" and row(alive.id).state == "running" and CALLS["count"] == 2
    assert jobs.run(alive.id) is None  # a running job with a fresh heartbeat is not taken over


@pytest.mark.real_commits  # another process reads the committed rows
def test_rq_worker_with_the_documented_worker_class(world, app, rq_queue):
    job_id = start("a.admin", "notify-send")  # a kind the worker's own app knows (the test kinds are this process's)
    env = {**real_clock_environ(), "DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)),
           "REDIS_URL": REDIS, "JOBS_QUEUE": rq_queue.name}
    done = subprocess.run([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "-w",
                           "services.jobs.worker.AppWorker", "--url", REDIS, rq_queue.name],
                          cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert row(job_id).state == "done", done.stderr[-2000:]


def test_my_jobs_page_costs_the_same_whatever_the_number_of_jobs(world, sync, browser):
    b = browser()
    b.login("a.admin")
    start("a.admin", "test-count", n=1)
    with count_queries() as one:
        assert "Проверка: счёт" in b.get("/jobs/").get_data(as_text=True)
    for _ in range(6):
        start("a.admin", "test-count", n=1)
        start("a.admin", "test-refused")
    with count_queries() as many:
        page = b.get("/jobs/").get_data(as_text=True)
    assert page.count("Повторить</button>") == 6 and "Мои задания" in b.get("/").get_data(as_text=True)
    assert len(many) == len(one), (len(one), len(many))


@pytest.mark.real_commits
def test_redis_failing_at_the_dispatch_runs_the_job_in_the_app(world, app, monkeypatch):
    for key, value in {"JOBS_BACKEND": "rq", "REDIS_URL": "redis://127.0.0.1:1/0"}.items():  # nobody listens
        monkeypatch.setitem(app.config, key, value)
    assert wait_for(start("a.admin", "test-count", n=1)).state == "done"


# -- attackers, double clicks, faults (issue 20.2) --------------------------------------------------------------

def test_a_job_of_the_users_other_organization_is_not_reached_from_this_one(world, sync, browser):
    """One person with cards in two organizations: the job he started in A (A's data) is «не найдено» while he
    acts in B, on every endpoint and in the list."""
    user = db.session.get(User, actor_of("a.admin").user_id)
    card = make_staff(world.b.org, "Второй", "Администратор", roles=("admin",))
    card.user_id = user.id
    db.session.flush()
    job_id = start("a.admin", "test-count", n=1)
    assert jobs.own(Actor.for_user(user, world.a.org.id), job_id) is not None
    assert jobs.own(Actor.for_user(user, world.b.org.id), job_id) is None
    b = browser()
    b.login("a.admin")
    assert b.get(f"/jobs/status/{job_id}").status_code == 200
    assert b.post("/switch-organization", data={"org_id": world.b.org.id}).status_code == 302
    for resp in (b.get(f"/jobs/status/{job_id}"), b.get(f"/jobs/download/{job_id}"),
                 b.post(f"/jobs/retry/{job_id}")):
        assert resp.status_code == 404
    assert job_id not in b.get("/jobs/").get_data(as_text=True)


@pytest.mark.parametrize("bad", ["0" * 31, "g" * 32, "A" * 32, "%00" * 11, "x" * 500, "Иванов", "1;DROP",
                                 "00000000000000000000000000000000%0a"])
def test_bad_job_ids_are_404_on_every_endpoint(world, sync, browser, bad):
    b = browser()
    b.login("a.deputy")
    for url in (f"/jobs/status/{bad}", f"/jobs/download/{bad}", f"/journal-archive/status/{bad}",
                f"/journal-archive/download/{bad}"):
        assert b.get(url).status_code == 404, url
    assert b.post(f"/jobs/retry/{bad}").status_code == 404
    assert b.get(f"/journal-archive/?job={bad}").status_code in (200, 404)


def test_an_identical_job_still_running_is_not_started_twice(world, app, monkeypatch):
    """A double click on a start: the second request finds the first's job queued and returns it."""
    monkeypatch.setitem(registry.BACKEND, "dispatch", lambda job_id: None)
    first = start("a.admin", "test-count", n=3)
    assert start("a.admin", "test-count", n=3) == first
    other = start("a.admin", "test-count", n=4)  # other parameters: another job
    theirs = start("a.deputy", "test-count", n=3)  # another user's: his own
    assert len({first, other, theirs}) == 3
    db.session.execute(update(Job).where(Job.id == first).values(state="done"))
    assert start("a.admin", "test-count", n=3) not in (first, other)  # the first finished: a new one


def test_a_double_retry_queues_once_and_keeps_the_result_of_the_run(world, sync, monkeypatch):
    """Two «Повторить» of one failed job (two tabs, two servers): the second finds it queued again or already
    done by the first and changes nothing — the result the first's run made stays downloadable."""
    job_id = start("a.admin", "test-count", n=1)
    stale = row(job_id)
    db.session.expunge(stale)
    stale.state = "failed"  # what the second request read before the first one's retry ran the job
    monkeypatch.setattr(jobs, "own", lambda actor, wanted: stale)
    with pytest.raises(DomainError, match="уже поставлено в очередь повторно"), uow.unit():
        jobs.retry(actor_of("a.admin"), job_id)
    assert row(job_id).state == "done" and db.session.get(JobResult, job_id) is not None
    assert CALLS["count"] == 1


def test_the_queue_gauges_are_the_databases(world, app, browser, monkeypatch):
    """/metrics' jobs_queued and jobs_running are counted in the job table: any app server scraped says the same."""
    monkeypatch.setitem(registry.BACKEND, "dispatch", lambda job_id: None)
    start("a.admin", "test-count", n=1)
    start("a.admin", "test-count", n=2)
    running = start("a.deputy", "test-refused")
    db.session.execute(update(Job).where(Job.id == running).values(state="running"))
    db.session.flush()
    text = browser().client.get("/metrics").get_data(as_text=True)
    assert "# TYPE journal_jobs_queued gauge" in text and "# TYPE journal_jobs_running gauge" in text
    assert 'journal_jobs_queued{kind="test-count"} 2' in text
    assert 'journal_jobs_running{kind="test-refused"} 1' in text
    assert 'journal_jobs_queued{kind="journal-archive"} 0' in text


@job_kind("test-refused-details", title="Проверка: отказ с подробностями", retries=0)
def _refused_details(ctx, actor, params):
    raise DomainError("Отчёт не сформирован", ["5А: нет учебного плана", "6Б: нет учебного плана"])


def test_a_refusal_keeps_its_message_with_its_details(world, sync):
    job = row(start("a.admin", "test-refused-details"))
    assert job.error == "Отчёт не сформирован: 5А: нет учебного плана; 6Б: нет учебного плана"


def test_an_import_job_failing_mid_way_writes_nothing_and_may_be_repeated(world, app, sync, browser, tmp_path,
                                                                          monkeypatch, caplog):
    """The apply breaks after some rows were written (a crash, not a rule): none of them stays, the job says the
    Russian generic error, the file may be loaded again."""
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 5)
    rows = student_rows([("5А", 5)], 12, 60, snils_base=620_000_000, file_prefix="Ц-")
    real_writer = import_uploads.progress_writer

    def breaking_writer(upload_id, every=50):
        write = real_writer(upload_id, every=1)

        def progress(done, total):
            write(done, total)
            if done >= 6:
                raise RuntimeError("диск отключён")
        return progress
    monkeypatch.setattr(import_uploads, "progress_writer", breaking_writer)
    b = browser()
    b.login("a.admin")
    before = db.session.query(Student).count()
    checked = b.post("/imports/check/", data={"kind": "students", "file": (io.BytesIO(workbook(rows)), "f.xlsx")},
                     content_type="multipart/form-data")
    upload_id = checked.headers["Location"].rstrip("/").split("/")[-1]
    with caplog.at_level(logging.ERROR, logger="journal.jobs"):
        b.post(f"/imports/job/{upload_id}/apply/", follow_redirects=True)
    job = db.session.scalar(select(Job).where(Job.kind == "import-apply"))
    assert job.state == "failed" and job.error == jobs.FAILED and "диск" not in job.error
    db.session.expire_all()
    assert db.session.query(Student).count() == before, "no row of the broken apply stays"
    page = b.get("/jobs/").get_data(as_text=True)
    assert jobs.FAILED.split(".")[0] in page and "Повторить" in page
    monkeypatch.setattr(import_uploads, "progress_writer", real_writer)
    b.post(f"/jobs/retry/{job.id}")
    assert row(job.id).state == "done", row(job.id).error
    assert db.session.query(Student).count() == before + 12


@job_kind("test-slow", title="Проверка: долгое без хода выполнения", retries=0)
def _slow(ctx, actor, params):
    """Runs long without reporting progress; meanwhile (the clock moved past STALE) another runner tries it."""
    CALLS["slow"] = CALLS.get("slow", 0) + 1
    if CALLS["slow"] > 1:
        return None  # the second, concurrent run the test must not see
    app = current_app._get_current_object()
    with clock.frozen(clock.utcnow() + jobs.STALE + timedelta(minutes=1)):
        time.sleep(float(params["sleep"]))

        def another_runner():
            with app.app_context():
                try:
                    CALLS["other"] = jobs.run(ctx.job_id)
                finally:
                    db.session.remove()
        other = threading.Thread(target=another_runner)
        other.start()
        other.join(30)
    return Result("slow.txt", "text/plain", b"ok")


@pytest.mark.real_commits  # the other runner and the heartbeat have connections of their own
def test_a_long_job_without_progress_keeps_its_claim_by_its_heartbeat(world, sync, monkeypatch):
    """A job quiet for longer than STALE is not taken for a dead one: its runner's heartbeat keeps it, so
    another worker (another server's dispatch of the orphans) does not run it a second time beside it."""
    monkeypatch.setattr(jobs, "HEARTBEAT", 0.05)
    job = row(start("a.admin", "test-slow", sleep=0.5))
    assert (job.state, job.attempts) == ("done", 1)
    assert CALLS["slow"] == 1 and CALLS["other"] is None


@pytest.mark.real_commits
def test_with_redis_a_job_left_by_a_dead_worker_goes_to_the_queue_again(world, app, rq_queue):
    """The work horse killed mid-job: its row stays «running» with a heartbeat that stopped; the next job started
    (on any server) puts it in the queue again, and the worker runs it once."""
    actor = actor_of("a.admin")
    died = _job_row(actor, "running", 1, timedelta(hours=1), jobs.STALE + timedelta(seconds=1))
    died_id = died.id
    with uow.unit():
        db.session.add(died)
    start("a.admin", "test-count", n=2)
    assert rq_queue.count == 2
    _burst(rq_queue)
    assert (row(died_id).state, row(died_id).attempts) == ("done", 2) and CALLS["count"] == 2


@pytest.mark.real_commits  # two requests at once: connections of their own
def test_two_starts_at_the_same_moment_make_one_job(world, app, monkeypatch):
    """A double click whose two requests arrive together (two app servers): the second waits for the first's
    row and returns it, never a second job."""
    monkeypatch.setitem(registry.BACKEND, "dispatch", lambda job_id: None)
    slow_ids = uuid.uuid4

    class SlowUuid:
        @staticmethod
        def uuid4():
            time.sleep(0.3)  # between the check and the row: where the second request would overtake
            return slow_ids()
    monkeypatch.setattr(jobs, "uuid", SlowUuid)
    user_id = actor_of("a.admin").user_id
    db.session.remove()
    barrier, found = threading.Barrier(2), []

    def request():
        with app.app_context():
            try:
                actor = Actor.for_user(db.session.get(User, user_id))
                barrier.wait(5)
                with uow.unit():
                    found.append(jobs.enqueue(actor, "test-count", {"n": 7}))
            finally:
                db.session.remove()
    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(found) == 2 and found[0] == found[1]
    assert db.session.scalar(select(func.count(Job.id)).where(Job.kind == "test-count")) == 1


@job_kind("test-named", title="Проверка: имя файла", retries=0)
def _named(ctx, actor, params):
    return Result(params["name"], "text/plain", b"ok")


def test_the_result_is_downloaded_under_a_sane_russian_name(world, sync, browser):
    """A kind naming its file after something typed: no folder, quote or line break reaches the header; the
    Russian name is sent RFC 5987-encoded beside an ASCII fallback."""
    job_id = start("a.admin", "test-named", name='Ведомость "5А"/../..\r\nSet-Cookie: x=1.xlsx')
    assert db.session.get(JobResult, job_id).file_name == "Ведомость _5А__.._..__Set-Cookie_ x=1.xlsx"
    b = browser()
    b.login("a.admin")
    resp = b.get(f"/jobs/download/{job_id}")
    header = resp.headers["Content-Disposition"]
    assert resp.status_code == 200 and "\r" not in header and "\n" not in header and "/" not in header
    assert header.startswith("attachment;") and "filename*=UTF-8''" in header and "%D0%92" in header
    assert not any(value.startswith("x=") for value in resp.headers.getlist("Set-Cookie"))
    assert resp.headers["Cache-Control"] == "no-store"


def test_the_archives_old_urls_give_nothing_of_anothers_job(report_school, sync, browser):
    """The journal archive's own status, download and page (`?job=`) with another user's or another
    organization's job id: 404 or the page without it — never its file name, progress or error."""
    owner = browser()
    owner.login("a.deputy")
    job_id = owner.post("/journal-archive/all", data={"year": "2026/2027"}).location.split("job=")[1]
    file_name = db.session.get(JobResult, job_id).file_name
    for login in ("a.admin", "b.deputy", "b.admin"):
        other = browser()
        other.login(login)
        assert other.get(f"/journal-archive/status/{job_id}").status_code == 404, login
        assert other.get(f"/journal-archive/download/{job_id}").status_code == 404, login
        page = other.get(f"/journal-archive/?year=2026/2027&job={job_id}")
        assert page.status_code in (200, 404), login
        html = page.get_data(as_text=True)
        assert job_id not in html and file_name not in html, login


def test_a_job_that_kills_its_worker_each_time_fails_when_its_attempts_are_spent(world, sync):
    actor = actor_of("a.admin")
    spent = _job_row(actor, "running", 3, timedelta(hours=2), jobs.STALE + timedelta(minutes=1))
    db.session.add(spent)
    db.session.flush()
    assert backends.redispatch_orphans() == 1
    job = row(spent.id)
    assert (job.state, job.error, job.attempts) == ("failed", jobs.ABANDONED, 3) and "count" not in CALLS
    assert job.finished_at is not None and jobs.orphans() == []
