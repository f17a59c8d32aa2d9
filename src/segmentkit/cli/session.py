"""What one command sets up for itself: log handlers and the flags the error handler reads.

Only the command line configures logging (the library only logs): the console shows
INFO and up (``--quiet``: warnings; ``--verbose``/``--debug``: everything), and a buffer
keeps every record for the output folder's ``run.log``.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["BufferHandler", "setup_logging", "state"]

#: Set by the running command: ``debug`` (show tracebacks), ``progress_bar`` (draw bars).
state = {"debug": False, "progress_bar": False}


class BufferHandler(logging.Handler):
    """Keeps every record of the run, at DEBUG level, for ``run.log``."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the formatted record."""
        self.lines.append(self.format(record))

    def text(self) -> str:
        """Return every record kept so far, one per line, as ``run.log`` holds them."""
        return "\n".join(self.lines) + "\n"


def setup_logging(verbose: int, quiet: bool, debug: bool) -> BufferHandler:
    """Send the package's log to stderr at the level the flags ask for, and to a buffer.

    Returns the buffer, which keeps every record (DEBUG and up) for ``run.log``.
    """
    root = logging.getLogger("segmentkit")
    root.handlers = [h for h in root.handlers if isinstance(h, logging.NullHandler)]
    root.setLevel(logging.DEBUG)
    root.propagate = False
    level = logging.WARNING if quiet else logging.DEBUG if (verbose or debug) else logging.INFO
    console: logging.Handler
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        console = RichHandler(
            level=level, show_path=False, markup=False, console=Console(stderr=True)
        )
    else:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        console.setLevel(level)
    # Bars on a terminal unless --quiet; elsewhere (CI, files) one log line per stage.
    state["progress_bar"] = sys.stderr.isatty() and not quiet
    buffer = BufferHandler()
    root.addHandler(console)
    root.addHandler(buffer)
    return buffer
