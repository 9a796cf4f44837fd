"""Errors the domain raises; the web layer turns them into 404, 409 and 422 responses."""


class DomainError(Exception):
    """Base of the errors a service raises for a person to read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    """The thing asked for does not exist (or is not the caller's to see)."""


class ConflictError(DomainError):
    """The change clashes with the current state: a duplicate, or a bed already taken."""


class InvalidError(DomainError):
    """A value is not acceptable; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
