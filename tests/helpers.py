"""Helpers shared by the test files: run the CLI in-process, read an output folder back.

Plain functions and classes, importable from any test folder (``from helpers import ...``;
pytest puts ``tests/`` on ``sys.path`` because ``tests/conftest.py`` lives there). The
fixtures built on them (``run_cli``, the datasets) are in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pytest

from segmentkit.cli import main

__all__ = [
    "CHROMIUM_ARGS",
    "CliResult",
    "OutputFolder",
    "RunCli",
    "chromium_executable",
    "error_lines",
    "invoke_cli",
    "read_run_json",
]


def error_lines(err: str) -> list[str]:
    """The ``error:`` lines of the CLI's stderr, in order."""
    return [line for line in err.splitlines() if line.startswith("error:")]


class CliResult(NamedTuple):
    """What one in-process CLI call left: its exit code, stdout and stderr.

    A tuple, so ``code, out, err = run_cli(...)`` unpacks it.
    """

    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        """The ``error:`` lines of stderr, in order."""
        return error_lines(self.stderr)


#: The type of the ``run_cli`` fixture: ``run_cli("run", path, "--out", out)``.
RunCli = Callable[..., CliResult]


def invoke_cli(*args: object) -> CliResult:
    """Run ``segmentkit *args`` in-process, capturing what it prints during the call.

    For module-scoped fixtures, which cannot use ``capsys``; a test uses the ``run_cli``
    fixture, whose stdout and stderr also hold what was printed before the call.
    """
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(a) for a in args])
    return CliResult(code, stdout.getvalue(), stderr.getvalue())


def read_run_json(folder: Path) -> dict[str, Any]:
    """The ``run.json`` of an output folder, parsed."""
    data: dict[str, Any] = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class OutputFolder:
    """An output folder read back as a script would: ``run.json`` and the CSVs with pandas.

    Each file is read on first use and kept; the file names live here only.
    """

    path: Path

    def csv(self, name: str, **read_csv: Any) -> pd.DataFrame:
        """``pd.read_csv`` of the folder's file ``name`` (not kept: options may differ)."""
        return pd.read_csv(self.path / name, **read_csv)

    @cached_property
    def run_json(self) -> dict[str, Any]:
        """``run.json``."""
        return read_run_json(self.path)

    @cached_property
    def segments(self) -> pd.DataFrame:
        """``segments.csv``."""
        return self.csv("segments.csv")

    @cached_property
    def profiles(self) -> pd.DataFrame:
        """``segment_profiles.csv``."""
        return self.csv("segment_profiles.csv")

    @cached_property
    def k_selection(self) -> pd.DataFrame:
        """``k_selection.csv``."""
        return self.csv("k_selection.csv")

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """``method_comparison.csv``."""
        return self.csv("method_comparison.csv")

    @cached_property
    def importance(self) -> pd.DataFrame:
        """``feature_importance.csv``."""
        return self.csv("feature_importance.csv")


# --------------------------------------------------------------------------- the browser

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; never `playwright install`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def chromium_executable() -> Path:
    """Chromium for the browser tests; skip without it (fail if SEGMENTKIT_REQUIRE_BROWSER=1)."""
    if not CHROMIUM.exists():
        if os.environ.get("SEGMENTKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required (SEGMENTKIT_REQUIRE_BROWSER=1)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    return CHROMIUM
