"""Domain errors of the core library.

No HTTP here: ``endpoint/errors.py`` maps each class to a status code in one place, and the
CLI maps them to a one-line message and a non-zero exit.
"""
from __future__ import annotations


class LdError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidParameter(LdError):
    """One or more request parameters are malformed.

    ``problems`` maps each parameter name to what is wrong with it, so that every bad
    parameter of a request is reported at once.
    """

    def __init__(self, param: str, message: str, *, problems: dict[str, str] | None = None) -> None:
        self.problems = problems or {param: message}
        super().__init__("; ".join(f"{p}: {m}" for p, m in self.problems.items()))
        self.param = param

    @classmethod
    def combine(cls, errors: list["InvalidParameter"]) -> "InvalidParameter":
        problems: dict[str, str] = {}
        for error in errors:
            problems.update(error.problems)
        first = next(iter(problems))
        return cls(first, problems[first], problems=problems)


class NotFound(LdError):
    """The entity does not exist, or is not visible to the caller."""


class PageNotFound(NotFound):
    """A page number past the end of a list."""


class Gone(LdError):
    """The entity was deleted (or deprecated without a replacement)."""


class Moved(LdError):
    """The entity was replaced; ``iri`` is the end of its ``replaced_by`` chain."""

    def __init__(self, detail: str, iri: str) -> None:
        super().__init__(detail)
        self.iri = iri


class NotAcceptable(LdError):
    """No representation matches what the client accepts."""

    def __init__(self, detail: str, offered: list[str]) -> None:
        super().__init__(detail)
        self.offered = offered


class Forbidden(LdError):
    """The caller lacks the right to do this."""


class QueryTimeout(LdError):
    """A query ran past its time limit and was stopped."""


class QueryError(LdError):
    """A SPARQL query or update is malformed."""


class InvalidRecord(LdError):
    """An input record cannot be loaded; ``path`` names the failing field."""

    def __init__(self, record_id: str | None, path: str | None, message: str) -> None:
        where = f" at {path}" if path else ""
        super().__init__(f"{record_id or '<no id>'}{where}: {message}")
        self.record_id = record_id
        self.path = path
        self.message = message
