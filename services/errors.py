import errno
from contextlib import contextmanager

import click

from sqlalchemy.exc import IntegrityError

from models.dialect import is_unique_violation
from sqlalchemy.exc import DataError, StatementError

# A write that waited the whole busy timeout for SQLite's write lock (models/dialect.py).
DATABASE_BUSY = "База данных занята, повторите через несколько секунд"


class DomainError(Exception):
    """A rule was violated; the message is Russian and shown to the user as is.

    `errors`: the Russian details (every one, said in words: a CLI or an import prints them);
    `fields`: {the input it is about: its message} for those of them a form can show beside the input
    (issue 15.2: a page keeps what was typed and marks the wrong inputs). The names are the caller's:
    a service names a row's input after the key the caller gave the row (`(row key, attribute)` or a
    plain name), and the page maps them to its inputs."""

    def __init__(self, message, errors=None, fields=None):
        super().__init__(message)
        self.message = message
        self.errors = list(errors or [])
        self.fields = dict(fields or {})

    def __str__(self):
        if self.errors:
            return self.message + ": " + "; ".join(self.errors)
        return self.message


class PermissionDenied(DomainError):
    """The actor's roles do not allow this verb on this row."""

    def __init__(self, message="Недостаточно прав для этого действия."):
        super().__init__(message)


def is_bad_value(exc):
    """The database or the calendar could not hold a value that came with the request: a 4-byte
    column overflowed (PostgreSQL: DataError), the SQLite driver could not bind a big integer
    (OverflowError), a bind processor refused the value, or date arithmetic left the calendar."""

    if isinstance(exc, (DataError, OverflowError)):
        return True
    return isinstance(exc, StatementError) and isinstance(exc.orig, (ValueError, OverflowError))


@contextmanager
def taken_is_refused(message, errors=None):
    """A unique key refusing a row that a concurrent request has just written (the last line behind
    the checks and locks) becomes the DomainError `message`; the caller rolls back."""
    try:
        yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise DomainError(message, errors) from None


class CommandError(click.ClickException):
    """A refusal of a `flask` command: its Russian message on stderr as «Ошибка: …» (click's own prefix is
    English), exit code 1."""

    def show(self, file=None):
        click.echo(f"Ошибка: {self.format_message()}", file=file, err=True)


OS_REASONS = {errno.ENOENT: "файл или папка не найдены", errno.EACCES: "нет прав доступа",
              errno.EPERM: "нет прав доступа", errno.EISDIR: "это папка, а не файл",
              errno.ENOSPC: "нет места на диске", errno.EROFS: "диск только для чтения"}


def os_reason(exc):
    """An OSError's reason in Russian (the system's own text is English)."""
    return OS_REASONS.get(getattr(exc, "errno", None), "ошибка ввода-вывода")
