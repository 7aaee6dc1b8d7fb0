"""`flask archive journal --class 5А --year 2026/2027 --out F.xlsx` and `flask archive journal --all --out DIR`:
the yearly archive of the class journal (reports/journal_archive.py) from the command line, as the
operator of one organization (`--org`) or as a user (`--as LOGIN`: his rights)."""
from pathlib import Path

import click
from flask.cli import AppGroup

from models import scope
from reports import parameters
from reports import journal_archive as archive
from reports.cli import _actor
from services import clock, uow
from services.errors import CommandError, DomainError, PermissionDenied

cli = AppGroup("archive", help="Архив: классные журналы за учебный год для печати и хранения.")


@cli.command("journal")
@click.option("--class", "class_", help=parameters.PARAMS["class"].help)
@click.option("--all", "everything", is_flag=True, help="Журналы всех классов: по файлу на класс в каталог --out.")
@click.option("--year", help=parameters.PARAMS["year"].help)
@click.option("--as", "login", help="От имени пользователя (его права и организация).")
@click.option("--org", "org_ref", help="Организация (номер или краткое название), если строит оператор.")
@click.option("--out", required=True, type=click.Path(), help="Файл .xlsx (с --class) или каталог (с --all).")
@uow.command
def journal_command(class_, everything, year, login, org_ref, out):
    """Классный журнал за учебный год в .xlsx для печати."""
    if bool(class_) == everything:
        raise click.UsageError("Укажите --class КЛАСС или --all")
    actor = _actor(login, org_ref)
    with scope.organization(actor.org_id):
        _write(actor, class_, everything, year, out)


def _write(actor, class_, everything, year, out):
    """Write one class's journal or every class's, as `actor`."""
    today = clock.today(actor.org)
    try:
        year_ = parameters.pick_year(actor, year, today)
        if class_:
            klass = archive.find_class(actor, year_, class_)
            _, content = archive.class_workbook(actor, year_, klass, today)
            Path(out).write_bytes(content)
            click.echo(f"Журнал {klass.name} за {year_.name} записан в {out}", err=True)
            return
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        classes = archive.organization_classes(actor, year_)

        def progress(done, total, name):
            click.echo(f"[{done}/{total}] {name}", err=True)

        for name, content in archive.each_class_workbook(actor, year_, classes, progress, today):
            (folder / name).write_bytes(content)
        click.echo(f"Журналы {len(classes)} классов за {year_.name} записаны в {folder}", err=True)
    except PermissionDenied:
        raise CommandError("Архив журналов всей организации вам недоступен") from None
    except DomainError as exc:
        raise CommandError("; ".join([exc.message, *exc.errors])) from None
