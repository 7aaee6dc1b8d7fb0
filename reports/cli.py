"""`flask --app app report list` and `flask --app app report run NAME ...`: the reports for automation.

`run` builds the same Document as the page (reports/registry.py) and writes it as .xlsx or JSON. It acts as a
user (`--as LOGIN`: his rights, his organization) or as the operator of one organization (`--org`).
"""
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from models import Organization, User, db, scope
from reports import parameters, registry
from reports.document import log_read
from reports.render import to_json, to_xlsx
from services import uow
from services.context import Actor
from services.errors import CommandError, DomainError, PermissionDenied
from services.params import parse_id

cli = AppGroup("report", help="Отчёты: список и построение в .xlsx или JSON.")


@cli.command("list")
@uow.command
def list_command():
    """Названия отчётов и их параметры."""
    for rdef in sorted(registry.REGISTRY.values(), key=lambda r: (r.group, r.name)):
        params = " ".join(f"--{p}" + ("*" if p in rdef.required else "") for p in rdef.params)
        click.echo(f"{rdef.name:28} {rdef.title}")
        click.echo(f"{'':28} параметры: {params or 'нет'}; раздел: {rdef.group}")
    click.echo("\n* — обязательный параметр. Параметры:")
    for name, param in parameters.PARAMS.items():
        click.echo(f"  --{name:8} {param.help}")


def _actor(login, org_ref):
    if login:
        user = db.session.scalar(select(User).where(User.login == login))
        if user is None or not user.is_active:
            raise CommandError(f"Учётная запись «{login}» не найдена или заблокирована")
        org_id = None
        if org_ref:
            org_id = _organization(org_ref).id
        actor = Actor.for_user(user, org_id)
        if actor.org is None or (org_id is not None and actor.org_id != org_id):
            raise CommandError(f"«{login}» не работает в указанной организации")
        return actor
    if org_ref:
        return Actor.system_actor(_organization(org_ref))
    orgs = db.session.scalars(select(Organization).order_by(Organization.id)).all()
    if len(orgs) != 1:
        raise CommandError("Укажите организацию (--org номер или краткое название) или пользователя (--as)")
    return Actor.system_actor(orgs[0])


def _organization(ref):
    query = select(Organization)
    query = query.where(Organization.id == parse_id(ref)) if ref.isdigit() else \
        query.where(Organization.short_name == ref)
    org = db.session.scalar(query)
    if org is None:
        raise CommandError(f"Организация «{ref}» не найдена")
    return org


@cli.command("run")
@click.argument("name")
@click.option("--as", "login", help="Строить от имени пользователя (его права и организация).")
@click.option("--org", "org_ref", help="Организация (номер или краткое название), если строит оператор.")
@click.option("--year", help=parameters.PARAMS["year"].help)
@click.option("--class", "class_", help=parameters.PARAMS["class"].help)
@click.option("--period", help=parameters.PARAMS["period"].help)
@click.option("--student", help=parameters.PARAMS["student"].help)
@click.option("--subject", help=parameters.PARAMS["subject"].help)
@click.option("--teacher", help=parameters.PARAMS["teacher"].help)
@click.option("--from", "from_", help=parameters.PARAMS["from"].help)
@click.option("--to", help=parameters.PARAMS["to"].help)
@click.option("--by", help=parameters.PARAMS["by"].help)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "json"]), default="json", show_default=True)
@click.option("--paper", type=click.Choice(["A4", "A3"]), default=None,
              help="Формат листа .xlsx (по умолчанию REPORT_PAPER настроек, иначе A4).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Файл; по умолчанию JSON печатается, .xlsx — в файл с именем отчёта.")
@uow.command
def run_command(name, login, org_ref, year, class_, period, student, subject, teacher, from_, to, by, fmt, paper,
                out):
    """Построить отчёт NAME (см. `flask report list`)."""
    raw = {"year": year, "class": class_, "period": period, "student": student, "subject": subject,
           "teacher": teacher, "from": from_, "to": to, "by": by}
    raw = {k: v for k, v in raw.items() if v}
    actor = _actor(login, org_ref)
    with scope.organization(actor.org_id):  # the report reads the organization it is built in
        _run(actor, name, raw, fmt, out, paper or current_app.config.get("REPORT_PAPER", "A4"))


def _run(actor, name, raw, fmt, out, paper="A4"):
    """Build the report as `actor` and write it."""
    try:
        doc = registry.build(actor, name, raw)
    except PermissionDenied:
        raise CommandError("Этот отчёт вам недоступен") from None
    except DomainError as exc:
        raise CommandError("; ".join([exc.message, *exc.errors])) from None
    log_read(actor, doc, f"командная строка, {fmt}")
    if fmt == "json":
        text = json.dumps(to_json(doc), ensure_ascii=False, indent=1)
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")
            return
    else:
        out = out or f"{doc.filename}.xlsx"
        Path(out).write_bytes(to_xlsx(doc, paper).bytes())
    click.echo(f"Отчёт «{doc.title}» записан в {out}", err=True)
