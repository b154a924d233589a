"""Errors the domain raises when a rule refuses a command; the web layer maps them to HTTP."""


class RuleViolation(Exception):
    """A command the rules forbid in the current state (409).

    `code` is a stable English identifier for programs; `message` is what a person reads (zh-CN).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InvalidCommand(ValueError):
    """A command whose fields are wrong in a way only the domain can see (422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    """The aggregate does not exist (404)."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} not found")
        self.what = what
        self.ident = ident


class Forbidden(PermissionError):
    """The caller's role or unit does not allow this (403); `message` is what a person reads (zh-CN)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
