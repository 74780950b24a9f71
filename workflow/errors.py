"""Errors the services raise. Each carries a message fit to show the user, in their language."""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base: the decision was refused and nothing changed."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = str(message)
        self.problems = [str(p) for p in problems]


class NotPermitted(DomainError):
    """The user may not do this to this object (shown as 403, or 404 to hide existence)."""


class Conflict(DomainError):
    """The object is not (or no longer) in a state that allows this: someone else acted first."""


class Invalid(DomainError):
    """The request breaks a rule of the call: out of window, incomplete, ineligible."""
