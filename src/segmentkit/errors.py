"""The exceptions segmentkit raises for problems a user can fix.

Everything a user can cause (a bad config, an unreadable file, data that cannot be
segmented) raises a subclass of :class:`SegmentkitError`; the CLI turns these into one
line on stderr and a non-zero exit. Anything else is a bug.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "OutputError", "ResourceError", "SegmentkitError"]


class SegmentkitError(Exception):
    """Base class of every error a user can cause and fix.

    Parameters
    ----------
    message : str
        What went wrong, naming the field or file, the expectation and the value.
    hint : str, optional
        What to do about it; shown after the message.
    """

    #: Exit code the CLI uses for this kind of error.
    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """Return the message and the hint: the last line the CLI prints."""
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(SegmentkitError, ValueError):
    """The configuration or the command line is invalid (exit code 2).

    Parameters
    ----------
    message : str
        Summary of the problem.
    problems : list of str, optional
        One ``field: message`` line per problem.
    hint : str, optional
        What to do about it.
    """

    exit_code = 2

    def __init__(
        self, message: str, *, problems: list[str] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        # The problems belong to the message: a caller that only prints or logs the
        # exception must still see what is wrong, not just how many things are.
        if not self.problems:
            return self.summary()
        return f"{self.summary()}: {'; '.join(self.problems)}"


class DataError(SegmentkitError, ValueError):
    """The input data cannot be read or segmented (exit code 1)."""

    exit_code = 1


class ResourceError(SegmentkitError):
    """A stage would need more memory than is available; stopped before it starts (exit 1)."""

    exit_code = 1


class OutputError(DataError):
    """An output cannot be written: a full disk, a read-only or forbidden location (exit 1).

    A :class:`DataError` subclass, so code that caught every problem with a file as a
    ``DataError`` keeps working.

    Parameters
    ----------
    message : str
        What could not be written and why, e.g. ``cannot write --out results:
        no space left on device``.
    reason : str, optional
        The problem alone (``no space left on device``), for callers that add context.
    errno : int, optional
        The operating system's error number, when the problem came from one.
    path : str, optional
        The file or folder that was being written.
    hint : str, optional
        What to do about it.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        errno: int | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason or message
        self.errno = errno
        self.path = path
