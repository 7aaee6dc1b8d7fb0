"""The RQ side: what a worker runs, `flask worker`, and the class for `rq worker`.

    flask --app app worker                      # an RQ worker with the app (REDIS_URL, JOBS_QUEUE)
    rq worker -w services.jobs.worker.AppWorker --url redis://127.0.0.1:6379/0 journal

Both run `perform(job_id)`, which runs `core.run` inside the application (made once per worker process when
`rq worker` started it: `create_app()` reads the same environment as the app servers).
"""
import importlib

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext
from rq import SimpleWorker, Worker

from models import db
from services.jobs import backends, core

_app = None


def _application():
    global _app
    if _app is None:
        _app = importlib.import_module("app").create_app()  # `rq worker`: the app built once per process
    return _app


def perform(job_id):
    """The RQ job: run ours; after a transient failure raise, so RQ's Retry runs it again."""
    if has_app_context():
        state = _perform(job_id)
    else:
        with _application().app_context():
            db.engine.dispose(close=False)  # a forked work horse: connections of its own, never its parent's
            state = _perform(job_id)
    if state == core.QUEUED:
        raise backends.RetryLater(f"job {job_id}: a transient database failure, tried again")
    return state


def _perform(job_id):
    try:
        return core.run(job_id)
    finally:
        db.session.remove()


class AppWorker(Worker):
    """`rq worker -w services.jobs.worker.AppWorker`: a forking worker whose jobs run in the app, made once in
    the worker's process before it forks (each job's fork inherits it instead of building it again)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _application()


class AppSimpleWorker(SimpleWorker):
    """Runs the jobs in its own process (no fork): `flask worker`, and the tests' burst worker."""


@click.command("worker")
@click.option("--burst", is_flag=True, help="Выполнить задания, стоящие в очереди, и завершиться.")
@with_appcontext
def worker_command(burst):
    """Выполнять фоновые задания из очереди RQ (нужен REDIS_URL); остановка — Ctrl+C."""
    config = current_app.config
    if not config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL не задан: без Redis задания выполняются в процессе приложения, "
                                   "отдельный обработчик не нужен.")
    q = backends.queue(config)
    again = backends.redispatch_orphans()
    if again:
        click.echo(f"Заданий поставлено в очередь повторно (их обработчик остановился): {again}.", err=True)
    AppSimpleWorker([q], connection=q.connection).work(burst=burst, with_scheduler=True)
