class DomainError(Exception):
    """A rule was violated; the message is Russian and shown to the user as is."""

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = message
        self.errors = list(errors or [])

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
    from sqlalchemy.exc import DataError, StatementError

    if isinstance(exc, (DataError, OverflowError)):
        return True
    return isinstance(exc, StatementError) and isinstance(exc.orig, (ValueError, OverflowError))
