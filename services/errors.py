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
