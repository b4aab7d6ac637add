"""Domain errors that edges translate (HTTP status, BPMN error, job failure)."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request."""


class InvalidInput(DomainError):
    """Input that passed parsing but breaks a business rule; names the field like FastAPI does."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {message}")
        self.loc = loc
        self.message = message


class NotFound(DomainError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")


class Conflict(DomainError):
    """The request makes no sense in the entity's current state."""
