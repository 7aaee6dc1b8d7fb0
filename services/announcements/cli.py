"""`flask announcements notify`: queue the e-mails of announcements whose publication day has come (daily, cron)."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from models import Organization, db, scope
from services import uow
from services.announcements import board

cli = AppGroup("announcements", help="Объявления.")


@cli.command("notify")
@uow.command
def notify_command():
    """Поставить в очередь письма об объявлениях, день публикации которых наступил; запускайте раз в сутки."""
    with scope.installation("the organizations whose announcements are due"):
        orgs = db.session.scalars(select(Organization).order_by(Organization.id)).all()
    queued = 0
    for org in orgs:
        with scope.organization(org.id):
            queued += board.notify_due(org)
    click.echo(f"Писем поставлено в очередь: {queued}.")
