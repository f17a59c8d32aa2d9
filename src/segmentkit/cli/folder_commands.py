"""Commands on a finished output folder: ``profile``, ``report`` and ``rename``.

None of them refits anything: they read (and, for ``rename``, rewrite) the files a run
wrote.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from segmentkit.cli.options import PATH_TYPE
from segmentkit.cli.session import setup_logging, state

if TYPE_CHECKING:
    from segmentkit.describe.terminal_view import ProfileView

__all__ = ["print_view", "profile", "rename", "report"]


def print_view(view: ProfileView) -> None:
    """Print the profile table of a run to stdout (140 columns wide off a terminal)."""
    from rich.console import Console

    from segmentkit.describe.terminal_view import render_profile_view

    # Off a terminal rich would assume 80 columns; a report-like width reads better in files.
    console = Console(width=None if sys.stdout.isatty() else 140, highlight=False)
    console.print(render_profile_view(view))


@click.command()
@click.argument("out_dir", metavar="OUT_DIR", type=PATH_TYPE)
@click.option("--method", "-m", help="Method to show (default: the recommended one).")
def profile(out_dir: Path, method: str | None) -> None:
    """Show the segments of a finished run in OUT_DIR: names, sizes, figures, drivers."""
    from segmentkit.describe.terminal_view import load_profile_view

    print_view(load_profile_view(out_dir, method))


@click.command()
@click.argument("out_dir", metavar="OUT_DIR", type=PATH_TYPE)
def report(out_dir: Path) -> None:
    """Re-render OUT_DIR/report.html from the files of a finished run (nothing is refitted)."""
    from segmentkit.output.atomic import output_error
    from segmentkit.report import REPORT_NAME, write_report

    try:
        path = write_report(out_dir)
    except OSError as error:
        # The old report.html stays: the new one is renamed over it only when written.
        raise output_error(error, f"cannot write {out_dir / REPORT_NAME}") from None
    click.echo(f"Report: {path.resolve()}")


@click.command()
@click.argument("out_dir", metavar="OUT_DIR", type=PATH_TYPE)
@click.argument("name", metavar="NAME")
@click.option(
    "--segment",
    "-s",
    type=int,
    required=True,
    help="Segment number, as in segment_profiles.csv (-1: noise, -2: outliers).",
)
@click.option("--method", "-m", help="Method whose segment it is (default: the recommended one).")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def rename(
    out_dir: Path, name: str, segment: int, method: str | None, quiet: bool, debug: bool
) -> None:
    """Name a segment of the finished run in OUT_DIR: CSVs, report, run.json and model."""
    from segmentkit.output.rename import rename_segment

    state["debug"] = debug
    setup_logging(0, quiet, debug)
    done = rename_segment(out_dir, segment, name, method=method)
    where = f"{done.method} segment {done.segment}"
    if not done.changed:
        click.echo(f"{where} is already called {done.new_name!r}; nothing changed")
        return
    click.echo(f"Renamed {where}: {done.old_name!r} -> {done.new_name!r}")
    click.echo(f"Updated in {out_dir}: {', '.join(done.files)}")
