"""The project's exceptions.

Every user or data mistake is raised as a :class:`CxError` (a ``click.ClickException``),
so the command line prints a one-line message per problem on stderr and exits with
code 1, never a traceback.
"""

from __future__ import annotations

import errno

import click


class CxError(click.ClickException):
    """Base class for every error a user can cause and fix."""

    exit_code = 1

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        if self.problems and not message:
            message = self.problems[0]
        super().__init__(message)

    def format_message(self) -> str:
        if len(self.problems) > 1 or (self.problems and self.problems[0] != self.message):
            lines = [self.message] + [f"  - {p}" for p in self.problems]
            return "\n".join(lines)
        return self.message

    def show(self, file=None) -> None:  # pragma: no cover - exercised through the CLI
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


class ConfigError(CxError):
    """The project file is missing, unreadable or invalid."""


class DataError(CxError):
    """An input data file is missing, unreadable or unusable."""


class RenderError(CxError):
    """A report could not be rendered or written."""


#: errno values that mean "no room left": ENOSPC, and EDQUOT (a user's quota is used up).
DISK_FULL_ERRNOS = frozenset(e for e in (getattr(errno, "ENOSPC", None), getattr(errno, "EDQUOT", None)) if e)


def os_error_text(exc: OSError) -> str:
    """What an :class:`OSError` means, in words a user acts on ("the disk is full …")."""
    if exc.errno in DISK_FULL_ERRNOS:
        return f"the disk is full ({exc.strerror or 'no space left on device'}); free some space and try again"
    return exc.strerror or str(exc)
