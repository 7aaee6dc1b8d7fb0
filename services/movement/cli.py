"""`flask movement …`: the movement book's commands."""
import click
from flask.cli import AppGroup

from models import MovementOrder, Organization, db, scope
from services import uow
from services.context import Actor
from services.errors import CommandError, DomainError
from services.movement.backfill import backfill_memberships
from services.movement.entries import ENTRIES_CHOICES
from services.movement.orders import apply_order

cli = AppGroup("movement", help="Книга движения обучающихся.")


@cli.command("backfill")
@click.option("--org", "org_id", type=int, help="Только эта организация (id).")
@uow.command
def backfill_command(org_id):
    """Заполнить историю классов учеников, созданных до книги движения (повторный запуск безопасен)."""
    if org_id is None:
        with scope.installation("the class history of every organization's students"):
            made = backfill_memberships(None)
    else:
        with scope.organization(org_id):
            made = backfill_memberships(org_id)
    click.echo(f"Создано записей истории классов: {made}")


@cli.command("apply")
@click.argument("order_id", type=int)
@click.option("--entries", type=click.Choice(sorted(ENTRIES_CHOICES)),
              help="Записи ученика после даты приказа в журнале прежнего класса: перенести (move) "
                   "или оставить в истории (keep).")
@uow.command
def apply_command(order_id, entries):
    """Провести приказ (как «Провести приказ» на странице приказа)."""
    order = db.session.get(MovementOrder, order_id)
    if order is None:
        raise CommandError("Приказ не найден")
    try:
        with scope.organization(order.org_id):  # the command acts in the order's organization
            applied = apply_order(Actor.system_actor(db.session.get(Organization, order.org_id)), order_id,
                                  entries=entries)
    except DomainError as exc:
        raise CommandError("\n".join([exc.message, *(exc.errors or [])])) from None
    click.echo(f"{applied} проведён: учеников — {len(applied.items)}")

