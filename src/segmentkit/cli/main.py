"""The ``segmentkit`` command line: parse, call one library function, write.

Problems a user can cause end as one line per problem on stderr, a summary line last,
exit code 2 for usage/config errors and 1 for data errors, and no traceback unless
``--debug``.

This module holds the command group and the error handling around it; each command
lives in its own module (``run_commands``, ``folder_commands``, ``rfm_command``,
``score_command``, ``config_commands``).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
from typing import NoReturn

import click

from segmentkit import __version__
from segmentkit.cli.config_commands import config_group
from segmentkit.cli.folder_commands import profile, rename, report
from segmentkit.cli.rfm_command import rfm
from segmentkit.cli.run_commands import demo, run
from segmentkit.cli.score_command import score
from segmentkit.cli.session import state
from segmentkit.errors import SegmentkitError

__all__ = ["cli", "command", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segmentkit")
def cli() -> None:
    """Turn a customer table into named, explained, reproducible segments."""


# ``segmentkit --help`` lists the commands alphabetically, whatever the order here.
cli.add_command(run)
cli.add_command(profile)
cli.add_command(demo)
cli.add_command(rfm)
cli.add_command(score)
cli.add_command(report)
cli.add_command(rename)
cli.add_command(config_group)


def _report_error(error: SegmentkitError) -> int:
    problems = getattr(error, "problems", [])
    for line in problems:
        click.echo(f"error: {line}", err=True)
    # The problems are on their own lines above; the summary line does not repeat them.
    click.echo(f"error: {error.summary()}", err=True)
    return error.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code (the console-script entry point)."""
    state["debug"] = "--debug" in (argv if argv is not None else sys.argv[1:])
    package_logger = logging.getLogger("segmentkit")
    saved = (list(package_logger.handlers), package_logger.level, package_logger.propagate)
    try:
        return _main(argv)
    finally:
        # Leave logging as we found it, for callers that run the CLI in-process.
        package_logger.handlers, package_logger.level, package_logger.propagate = saved


def command() -> NoReturn:
    """Run the ``segmentkit`` command (console script, ``python -m segmentkit``) and exit.

    :func:`main`, then the end of the process without Python's finalisation: it frees
    every object and tears down every module one by one (numpy, pandas, scikit-learn,
    SciPy, matplotlib, plotly), 0.5 s after every run of a few hundred customers, and
    nothing the command wrote needs it. Every file was written and closed, atomically,
    before :func:`main` returned; the exit handlers (logging's flush and close among
    them) run, and the standard streams are flushed, before the process ends.
    """
    code = main()
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or _still_working():  # pragma: no cover - CPython has it
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: started with the stream closed (>&-)
            with contextlib.suppress(OSError, ValueError):  # a closed pipe (... | head)
                stream.flush()
    os._exit(code)


def _still_working() -> bool:
    """Whether a thread or child process is still running: then Python's own exit waits."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        return True
    processes = sys.modules.get("multiprocessing")
    return bool(processes is not None and processes.active_children())


def _main(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, standalone_mode=False, prog_name="segmentkit")
    except SegmentkitError as error:
        if state["debug"]:
            raise
        return _report_error(error)
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        return 130
    except click.UsageError as error:
        hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
        click.echo(f"error: {error.format_message()}{hint}", err=True)
        return 2
    except click.ClickException as error:
        click.echo(f"error: {error.format_message()}", err=True)
        return error.exit_code
    except Exception as error:
        if state["debug"]:
            raise
        click.echo(
            f"error: unexpected {type(error).__name__}: {error} "
            "(this is a bug; rerun with --debug and report the traceback)",
            err=True,
        )
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
