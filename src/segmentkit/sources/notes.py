"""What reading a table tells its user: notes on what it detected or changed, short errors.

Every step of :func:`~segmentkit.sources.read.read_table` (decoding, dialect sniffing,
header repair, format readers) adds its notes to one :class:`ReadNotes`; they become
:attr:`~segmentkit.sources.read.TableRead.warnings`.
"""

from __future__ import annotations

import logging

__all__ = ["ReadNotes", "one_line"]


class ReadNotes:
    """Collect notes for :attr:`TableRead.warnings` and log each one as it is made.

    Parameters
    ----------
    logger : logging.Logger
        Where each note is logged: the reader's own logger, so every note of one read
        appears under one name (``segmentkit.sources.read``) whichever step made it.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self.items: list[str] = []
        self._logger = logger

    def add(self, level: int, message: str, *args: object) -> None:
        """Log ``message % args`` at ``level`` and keep it for :attr:`TableRead.warnings`."""
        self._logger.log(level, message, *args)
        self.items.append(message % args if args else message)


def one_line(exc: BaseException) -> str:
    """Return an exception's message on one line, at most 300 characters, for a DataError."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
