"""«Мои задания» (issue 20.2) in a real browser: a running job's bar moves as its row changes in the database
(static/jobs.js polls the status), a failed one shows its Russian error and «Повторить», a finished one its file."""
import time
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from models import Job, JobResult, User, db
from services import clock
from tests.e2e.conftest import login


def _job(user_id, org_id, title, state, done=0, total=0, text="", error=""):
    now = clock.utcnow()
    job = Job(id=uuid.uuid4().hex, org_id=org_id, user_id=user_id, kind="journal-archive", title=title,
              params="{}", state=state, attempts=1, max_attempts=3, created_at=now - timedelta(minutes=3),
              started_at=now - timedelta(minutes=2), heartbeat_at=now, progress_done=done, progress_total=total,
              progress_text=text, error=error)
    db.session.add(job)
    return job


def _until(check, seconds=10):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the page did not follow the job"
        time.sleep(0.2)


def test_my_jobs_page_shows_progress_errors_and_results(world, page, page_problems, screenshot_dir):
    user_id = db.session.scalar(select(User.id).where(User.login == "a.admin"))
    org_id = world.a.org.id
    running = _job(user_id, org_id, "Архив журналов всех классов за 2026/2027", "running", 3, 10, "6Б")
    _job(user_id, org_id, "Сводные ведомости учёта успеваемости (все классы)", "failed", 1, 3,
         error="Учебный год 2030/2031 не найден.")
    done = _job(user_id, org_id, "Импорт: «ученики.xlsx»", "done", 12, 12, "Загружено 12 строк")
    db.session.add(JobResult(job_id=done.id, file_name="zhurnaly_2026-2027.zip", mime="application/zip", size=3,
                             content=b"zip"))
    running_id = running.id
    db.session.commit()

    login(page, "a.admin")
    page.goto("/jobs/")
    box = page.locator(f'.job-progress[data-status-url="/jobs/status/{running_id}"]')
    assert box.locator(".job-count").inner_text() == "3 из 10"
    assert box.locator(".job-bar").get_attribute("style") == "width: 30%;"
    assert page.get_by_text("Учебный год 2030/2031 не найден.").is_visible()
    assert page.get_by_role("button", name="Повторить").count() == 1
    assert page.get_by_role("link", name="Скачать результат").count() == 1
    page.screenshot(path=str(screenshot_dir / "jobs-running-failed.png"), full_page=True)

    # The job goes on (another process writes its row): the bar follows, then the download link shows.
    db.session.execute(update(Job).where(Job.id == running_id).values(progress_done=7, progress_text="9А"))
    db.session.commit()
    _until(lambda: box.locator(".job-count").inner_text() == "7 из 10")
    assert box.locator(".job-text").inner_text() == "9А"
    assert box.locator(".job-bar").get_attribute("style") == "width: 70%;"
    db.session.execute(update(Job).where(Job.id == running_id).values(state="done", progress_done=10))
    db.session.add(JobResult(job_id=running_id, file_name="arhiv.zip", mime="application/zip", size=1, content=b"z"))
    db.session.commit()
    box.locator(".job-download").wait_for(state="visible")
    assert box.locator(".job-state").inner_text() == "готово"
    assert box.locator(".job-bar").get_attribute("style") == "width: 100%;"
    assert "bg-danger" in page.locator(".job-progress[data-state=failed] .job-bar").get_attribute("class")
    time.sleep(0.7)  # Bootstrap's bar slides to its width (0.6 s) before the picture
    page.screenshot(path=str(screenshot_dir / "jobs-done.png"), full_page=True)
    assert page_problems == []
