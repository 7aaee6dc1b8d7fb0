"""`flask notify …`: the e-mail queue's sending side (services/notify_send.py) and the parents' weekly digest
(services/notify_digest.py).

cron:   * * * * *  flask --app app notify send        (every minute)
        0 18 * * 5 flask --app app notify digest      (Friday evening)
or a systemd unit running `flask --app app notify worker --interval 60` instead of the first line.
"""
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from services import dates, notify_digest, notify_send, uow
from services.errors import DomainError

cli = AppGroup("notify", help="Уведомления по почте: отправка очереди, еженедельная сводка для родителей.")


@cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Сколько писем отправить за один запуск (самые ранние).")
@uow.command
def send_command(limit):
    """Отправить письма из очереди, которым пришёл срок (запускайте из cron каждую минуту)."""
    outcome = notify_send.send_due(current_app.config, limit)
    if outcome is None:
        click.echo(notify_send.DISABLED)
        return
    click.echo(str(outcome))


@cli.command("worker")
@click.option("--interval", type=click.IntRange(min=1), default=60, show_default=True,
              help="Пауза между проходами, секунд.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Сколько писем отправить за один проход.")
def worker_command(interval, limit):
    """Отправлять письма из очереди каждые N секунд, пока процесс не остановят (для службы systemd)."""
    if not current_app.config.get("MAIL_ENABLED"):
        click.echo(notify_send.DISABLED)
        return
    click.echo(f"Отправка уведомлений: проход каждые {interval} с. Остановка — Ctrl+C (SIGTERM).", err=True)
    try:
        while True:
            try:
                with uow.unit():
                    outcome = notify_send.send_due(current_app.config, limit)
                if outcome is not None and (outcome.sent or outcome.retried or outcome.given_up):
                    click.echo(str(outcome), err=True)
            except Exception as exc:  # a database or network outage: said, and tried again next pass
                click.echo(f"Ошибка прохода отправки: {type(exc).__name__}: {exc}", err=True)
            sys.stderr.flush()
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Отправка уведомлений остановлена.", err=True)


@cli.command("digest")
@click.option("--org", "org_id", type=int, help="Только эта организация (id).")
@click.option("--date", "day", help="Любой день недели, за которую сводка (ДД.ММ.ГГГГ; по умолчанию — текущая).")
@uow.command
def digest_command(org_id, day):
    """Поставить в очередь еженедельную сводку отметок и пропусков для родителей, которые её включили
    (запускайте из cron раз в неделю; повторный запуск в ту же неделю ничего не добавит)."""
    on = None
    if day:
        on = dates.parse_date(day)
        if on is None:
            raise DomainError(dates.date_error(day, "Дата"))
    result = notify_digest.queue_all(on, org_id)
    if not result:
        click.echo("Организаций нет.")
    for org, count in result.items():
        click.echo(f"{org}: писем со сводкой поставлено в очередь — {count}.")
