"""`flask import KIND FILE --org N [--apply]`: an import from the command line (issue 17.1), the same kernel as
the page «Импорт и выгрузка данных». Without --apply it only checks the file and prints the preview (nothing is
written); with --apply a file without bad rows is written in one transaction. The exit code is 1 when the
file has a bad row or can't be read. It acts as the operator of the organization (`Actor.system_actor`: the
domain rules apply, role checks do not), like `flask movement apply`."""
from pathlib import Path

import click

from models import Organization, db, scope
from services import audit, imports, uow, uploads
from services.context import Actor
from services.errors import CommandError, DomainError, os_reason
from services.imports import core


def print_preview(preview, details=False):
    """The preview in Russian: the summary, every bad row, and (details) every change."""
    head = "Загружено" if preview.applied else ("Проверка файла" if not preview.errors else "Файл не загружен")
    click.echo(f"{head} — «{preview.title}», строк с данными: {preview.rows}")
    click.echo(f"Итог: {preview.summary()}")
    if preview.errors:
        click.echo(f"Строк с ошибками: {len({e.row for e in preview.errors})}, ошибок: {len(preview.errors)}. "
                   "Ни одна строка не загружена — исправьте файл и повторите:")
        for error in preview.errors:
            click.echo(f"  {error}")
    if details:
        labels = core.APPLIED_LABELS if preview.applied else core.ACTION_LABELS
        for change in preview.changes:
            where = f"строка {change.row}: " if change.row else ""
            detail = f" ({change.detail})" if change.detail else ""
            click.echo(f"  {where}{change.what} «{change.label}» — {labels[change.action]}{detail}")


@click.command("import")
@click.argument("kind")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--org", "org_id", type=int, required=True, help="Организация (номер), в которую загружаются данные.")
@click.option("--apply", "do_apply", is_flag=True, help="Загрузить (без него файл только проверяется).")
@click.option("--details", is_flag=True, help="Показать каждое изменение, не только итог и ошибки.")
@uow.command
def import_command(kind, path, org_id, do_apply, details):
    """Импорт из .xlsx или .csv: KIND — вид (students …), FILE — файл. Без --apply только проверка."""
    importer = imports.get(kind)
    org = db.session.get(Organization, org_id)
    if org is None:
        raise CommandError(f"Организация № {org_id} не найдена")
    try:
        with open(Path(path), "rb") as handle:
            data = uploads.read_upload(handle, expected=".xlsx или .csv")
    except OSError as exc:
        raise CommandError(f"Файл не открывается: {os_reason(exc)}") from None
    with scope.organization(org.id):  # the command acts in that organization
        actor = Actor.system_actor(org)
        try:
            preview = core.run(actor, importer, data, apply=do_apply)
        except core.ImportRefused as exc:
            uow.rollback()
            print_preview(exc.preview, details)
            raise SystemExit(1) from None
        except DomainError:
            uow.rollback()
            raise
    if not preview.applied:
        uow.rollback()  # a check writes nothing
    print_preview(preview, details)
    if preview.errors:
        raise SystemExit(1)
    if not do_apply:
        click.echo("Это проверка: ничего не записано. Чтобы загрузить, повторите с --apply.")


@click.command("export")
@click.argument("kind")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--org", "org_id", type=int, required=True, help="Организация (номер), данные которой выгружаются.")
@uow.command
def export_command(kind, path, org_id):
    """Выгрузка списка в том же виде, что и импорт: KIND — вид (students …), FILE — файл .xlsx или .csv (по
    расширению). Выгрузку можно исправить и загрузить обратно: `flask import`."""
    importer = imports.get(kind)
    org = db.session.get(Organization, org_id)
    if org is None:
        raise CommandError(f"Организация № {org_id} не найдена")
    fmt = "csv" if Path(path).suffix.lower() == ".csv" else "xlsx"
    with scope.organization(org.id):
        actor = Actor.system_actor(org)
        content, _, ext, count = core.export(actor, importer, fmt)
        audit.log_read(actor, "export", importer.resource,
                       detail=f"flask export: {importer.title}, .{ext}", rows=count)
    try:
        Path(path).write_bytes(content)
    except OSError as exc:
        raise CommandError(f"Файл не записывается: {os_reason(exc)}") from None
    click.echo(f"Выгружено — «{importer.title}»: строк {count}, файл {path}")


__all__ = ["import_command", "export_command"]
