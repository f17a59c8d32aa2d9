"""The ``segmentkit`` command line: parse, call one library function, write."""

from __future__ import annotations

from segmentkit.cli.main import (
    cli,
    command,
    main,
)

__all__ = [
    "cli",
    "command",
    "main",
]
