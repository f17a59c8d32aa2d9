"""The ``segmentkit`` command line: parse, call one library function, write.

Problems a user can cause end as one line per problem on stderr, a summary line last,
exit code 2 for usage/config errors and 1 for data errors, and no traceback unless
``--debug``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from segmentkit import __version__
from segmentkit.config import Config, config_schema, load_config
from segmentkit.errors import ConfigError, SegmentkitError

if TYPE_CHECKING:
    from segmentkit.profile_view import ProfileView

__all__ = ["cli", "main"]

logger = logging.getLogger("segmentkit")

_state = {"debug": False, "progress_bar": False}


class _BufferHandler(logging.Handler):
    """Keeps every record of the run, at DEBUG level, for ``run.log``."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _setup_logging(verbose: int, quiet: bool, debug: bool) -> _BufferHandler:
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
    _state["progress_bar"] = sys.stderr.isatty() and not quiet
    buffer = _BufferHandler()
    root.addHandler(console)
    root.addHandler(buffer)
    return buffer


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [item.strip() for item in value.split(",")]
    return [item for item in items if item]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segmentkit")
def cli() -> None:
    """Turn a customer table into named, explained, reproducible segments."""


_PATH = click.Path(path_type=Path, dir_okay=True)


@cli.command()
@click.argument("input_path", metavar="INPUT", type=_PATH)
@click.option("--config", "-c", "config_path", type=_PATH, help="JSON configuration file.")
@click.option(
    "--out",
    "-o",
    type=_PATH,
    default=Path("segmentation-output"),
    show_default=True,
    help="Output folder (replaced atomically).",
)
@click.option("--id-column", help="Column that identifies a customer.")
@click.option("--features", help='Use only these columns: "col1,col2".')
@click.option("--exclude", help='Never use these columns: "col1,col2".')
@click.option("--methods", help='Methods to run, e.g. "kmeans".')
@click.option("--k", type=int, help="Fix the number of segments.")
@click.option("--seed", type=int, help="Random seed (default 0).")
@click.option("--encoding", help="Text encoding of a CSV (default: detected).")
@click.option("--n-jobs", type=int, help="Threads for the whole run (default: one per core).")
@click.option(
    "--transactions",
    is_flag=True,
    help="INPUT is a transaction log: build RFM features per customer first.",
)
@click.option(
    "--previous",
    type=_PATH,
    help="An earlier output folder: matching segments keep their numbers and names.",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: one file, in memory. dask: a folder, glob or file of CSV/Parquet larger "
    "than memory, on a Dask cluster (pip install 'segmentkit[dask]').",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="With --backend dask: a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
    "(default: a local cluster of --n-jobs worker processes).",
)
@click.option("--verbose", "-v", count=True, help="More log detail.")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def run(
    input_path: Path,
    config_path: Path | None,
    out: Path,
    id_column: str | None,
    features: str | None,
    exclude: str | None,
    methods: str | None,
    k: int | None,
    seed: int | None,
    encoding: str | None,
    n_jobs: int | None,
    transactions: bool,
    previous: Path | None,
    backend: str,
    scheduler: str | None,
    verbose: int,
    quiet: bool,
    debug: bool,
) -> None:
    """Segment the customers in INPUT (CSV, TSV, Parquet or Excel) into --out.

    With --backend dask, INPUT may also be a folder or a glob such as "exports/*.csv".
    """
    _state["debug"] = debug
    if backend == "local" and scheduler is not None:
        raise ConfigError("--scheduler needs --backend dask", hint="add --backend dask")
    if backend == "dask" and (transactions or previous is not None):
        flag = "--transactions" if transactions else "--previous"
        raise ConfigError(f"{flag} is not available with --backend dask")
    buffer = _setup_logging(verbose, quiet, debug)
    # Validate everything about the configuration before touching the data.
    config = load_config(config_path).with_overrides(
        {
            "input.id_column": id_column,
            "input.features": _split(features),
            "input.exclude": _split(exclude),
            "input.encoding": encoding,
            "clustering.methods": _split(methods),
            "clustering.k": k,
            "seed": seed,
            "n_jobs": n_jobs,
        }
    )
    if backend == "dask":
        _segment_with_dask_and_report(input_path, config, out, buffer, scheduler)
        return
    _segment_and_report(
        input_path, config, out, buffer, previous=previous, transactions=transactions
    )


def _segment_and_report(
    input_path: Path,
    config: Config,
    out: Path,
    buffer: _BufferHandler,
    *,
    previous: Path | None = None,
    transactions: bool = False,
) -> None:
    from segmentkit.api import segment_file
    from segmentkit.profile_view import profile_view

    result, out_dir = segment_file(
        input_path,
        config,
        out,
        log_handler=buffer,
        previous=previous,
        transactions=transactions,
        progress_bar=bool(_state["progress_bar"]),
    )
    _print_view(profile_view(result))
    identity = result.identities.get(result.recommended)
    if identity is not None:
        click.echo(
            f"Compared with {previous}: {len(identity.matched)} segment(s) kept their identity, "
            f"new: {identity.new_segments or 'none'}, vanished: {identity.vanished or 'none'} "
            "(see segment_migration.csv)"
        )
    click.echo(f"See this table again with: segmentkit profile {out_dir}")
    click.echo(f"Report: {(out_dir / 'report.html').resolve()}")
    click.echo(f"Output folder: {out_dir.resolve()}")


def _segment_with_dask_and_report(
    input_path: Path, config: Config, out: Path, buffer: _BufferHandler, scheduler: str | None
) -> None:
    from segmentkit.distributed import SEGMENTS_DIR, segment_with_dask
    from segmentkit.profile_view import profile_view

    result = segment_with_dask(
        input_path,
        config,
        out,
        scheduler=scheduler,
        log_handler=buffer,
        progress_bar=bool(_state["progress_bar"]),
    )
    _print_view(profile_view(result.run))
    sizes = result.segment_sizes[result.run.recommended]
    counts = ", ".join(f"{s}: {n:,}" for s, n in sorted(sizes.items()))
    if result.n_sample < result.n_customers:
        click.echo(f"The table describes a seeded sample of {result.n_sample:,} customers")
    click.echo(f"All {result.n_customers:,} customers by segment: {counts}")
    click.echo(f"Segments of every customer (Parquet): {(out / SEGMENTS_DIR).resolve()}")
    click.echo(f"See this table again with: segmentkit profile {out}")
    click.echo(f"Report: {(out / 'report.html').resolve()}")
    click.echo(f"Output folder: {out.resolve()}")


def _print_view(view: ProfileView) -> None:
    from rich.console import Console

    from segmentkit.profile_view import render_profile_view

    # Off a terminal rich would assume 80 columns; a report-like width reads better in files.
    console = Console(width=None if sys.stdout.isatty() else 140, highlight=False)
    console.print(render_profile_view(view))


@cli.command()
@click.argument("out_dir", metavar="OUT_DIR", type=_PATH)
@click.option("--method", "-m", help="Method to show (default: the recommended one).")
def profile(out_dir: Path, method: str | None) -> None:
    """Show the segments of a finished run in OUT_DIR: names, sizes, figures, drivers."""
    from segmentkit.profile_view import load_profile_view

    _print_view(load_profile_view(out_dir, method))


@cli.command()
@click.option(
    "--out",
    "-o",
    type=_PATH,
    default=Path("demo-output"),
    show_default=True,
    help="Output folder (replaced atomically).",
)
@click.option(
    "--dataset",
    type=click.Choice(["online-retail", "wholesale"]),
    default="online-retail",
    show_default=True,
    help="online-retail: a transaction log (RFM first); wholesale: a customer table.",
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def demo(out: Path, dataset: str, quiet: bool, debug: bool) -> None:
    """Segment bundled real data (UCI, CC BY 4.0) into --out: transactions by default."""
    from segmentkit.datasets import WHOLESALE_SPEND_COLUMNS, sample_data_path

    _state["debug"] = debug
    buffer = _setup_logging(0, quiet, debug)
    if dataset == "wholesale":
        # Every product column is annual spend: their sum is the customer's value.
        config = Config().with_overrides({"profiles.value_columns": list(WHOLESALE_SPEND_COLUMNS)})
        _segment_and_report(sample_data_path(), config, out, buffer)
        return
    path = sample_data_path("online_retail_sample.csv.gz")
    _segment_and_report(path, Config(), out, buffer, transactions=True)


_COLUMN_FLAGS = {
    "customer_column": "--customer-column",
    "date_column": "--date-column",
    "amount_column": "--amount-column",
    "quantity_column": "--quantity-column",
    "price_column": "--price-column",
    "order_column": "--order-column",
    "category_column": "--category-column",
}


@cli.command()
@click.argument("input_path", metavar="TRANSACTIONS", type=_PATH)
@click.option(
    "--out",
    "-o",
    type=_PATH,
    default=Path("customers.csv"),
    show_default=True,
    help="Customer table to write (atomically).",
)
@click.option("--config", "-c", "config_path", type=_PATH, help="JSON configuration file.")
@click.option("--customer-column", help="Customer id column (default: inferred).")
@click.option("--date-column", help="Date/time column (default: inferred).")
@click.option("--amount-column", help="Line amount column (default: inferred).")
@click.option("--quantity-column", help="Quantity column, with --price-column.")
@click.option("--price-column", help="Unit price column, with --quantity-column.")
@click.option("--order-column", help="Order/invoice id column (default: inferred).")
@click.option("--category-column", help="Product category column (default: inferred).")
@click.option("--snapshot-date", help="YYYY-MM-DD (default: the day after the last purchase).")
@click.option(
    "--frequency-unit",
    type=click.Choice(["order", "day"]),
    help="Count purchases per order (default) or per day.",
)
@click.option("--encoding", help="Text encoding of a CSV (default: detected).")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def rfm(
    input_path: Path,
    out: Path,
    config_path: Path | None,
    snapshot_date: str | None,
    frequency_unit: str | None,
    encoding: str | None,
    quiet: bool,
    debug: bool,
    **columns: str | None,
) -> None:
    """Turn the transaction log TRANSACTIONS into one row per customer (RFM features)."""
    from segmentkit.api import rfm_file

    _state["debug"] = debug
    _setup_logging(0, quiet, debug)
    config = load_config(config_path).with_overrides(
        {
            **{f"transactions.{name}": value for name, value in columns.items()},
            "transactions.snapshot_date": snapshot_date,
            "transactions.frequency_unit": frequency_unit,
            "input.encoding": encoding,
        }
    )
    customers = rfm_file(input_path, out, config)
    counts = customers.counts
    click.echo(
        f"{len(customers.table):,} customers from {counts['used']:,} of {counts['read']:,} "
        f"transaction lines (snapshot {customers.snapshot.date()})"
    )
    for reason in (
        "missing_customer",
        "duplicate_rows",
        "returns_netted",
        "negative_price",
        "zero_amount",
        "unparsed_date",
        "after_snapshot",
    ):
        if counts.get(reason):
            click.echo(f"  {reason.replace('_', ' ')}: {counts[reason]:,}")
    groups = customers.table["rfm_group"].value_counts()
    click.echo("RFM groups: " + ", ".join(f"{name} {count:,}" for name, count in groups.items()))
    click.echo(f"Customer table: {out.resolve()}")


@cli.command()
@click.argument("model_path", metavar="MODEL", type=_PATH)
@click.argument("input_path", metavar="INPUT", type=_PATH)
@click.option(
    "--out",
    "-o",
    type=_PATH,
    default=Path("scored.csv"),
    show_default=True,
    help="Scored CSV (written atomically).",
)
@click.option("--encoding", help="Text encoding of a CSV (default: detected).")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def score(
    model_path: Path, input_path: Path, out: Path, encoding: str | None, quiet: bool, debug: bool
) -> None:
    """Place the customers in INPUT in the segments of a saved MODEL (model.skops)."""
    from segmentkit.api import score_file

    _state["debug"] = debug
    _setup_logging(0, quiet, debug)
    scored, model = score_file(model_path, input_path, out, encoding=encoding)
    counts = scored["segment_name"].value_counts(sort=False)
    click.echo(f"{len(scored):,} customers scored with {model.recommended} (recommended):")
    for name, count in counts.items():
        click.echo(f"  {name}: {count:,}")
    agreement = ", ".join(f"{m} {share:.1%}" for m, share in model.agreement.items())
    click.echo(f"Training customers the model puts back in their own segment: {agreement}")
    click.echo(f"Scored file: {out.resolve()}")


@cli.command()
@click.argument("out_dir", metavar="OUT_DIR", type=_PATH)
def report(out_dir: Path) -> None:
    """Re-render OUT_DIR/report.html from the files of a finished run (nothing is refitted)."""
    from segmentkit.atomic import output_error
    from segmentkit.report import REPORT_NAME, write_report

    try:
        path = write_report(out_dir)
    except OSError as error:
        # The old report.html stays: the new one is renamed over it only when written.
        raise output_error(error, f"cannot write {out_dir / REPORT_NAME}") from None
    click.echo(f"Report: {path.resolve()}")


@cli.group("config")
def config_group() -> None:
    """Create, inspect and check configuration files."""


@config_group.command("init")
@click.argument("path", type=_PATH, default=Path("segmentkit.json"))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def config_init(path: Path, force: bool) -> None:
    """Write a complete default configuration file to PATH (default segmentkit.json)."""
    from segmentkit.atomic import output_error

    if path.exists() and not force:
        raise ConfigError(f"{path} already exists", hint="pass --force to overwrite it")
    data = {"$schema": "./segmentkit.schema.json", **Config().to_dict()}
    try:
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(str(output_error(error, f"cannot write {path}"))) from None
    click.echo(f"Wrote default configuration to {path}")


@config_group.command("schema")
def config_schema_command() -> None:
    """Print the JSON Schema of the configuration file."""
    click.echo(json.dumps(config_schema(), indent=2))


@config_group.command("validate")
@click.argument("path", type=_PATH)
def config_validate(path: Path) -> None:
    """Check the configuration file PATH and report every problem."""
    load_config(path)
    click.echo(f"{path}: valid")


def _report_error(error: SegmentkitError) -> int:
    problems = getattr(error, "problems", [])
    for line in problems:
        click.echo(f"error: {line}", err=True)
    click.echo(f"error: {error}", err=True)
    return error.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code (the console-script entry point)."""
    _state["debug"] = "--debug" in (argv if argv is not None else sys.argv[1:])
    package_logger = logging.getLogger("segmentkit")
    saved = (list(package_logger.handlers), package_logger.level, package_logger.propagate)
    try:
        return _main(argv)
    finally:
        # Leave logging as we found it, for callers that run the CLI in-process.
        package_logger.handlers, package_logger.level, package_logger.propagate = saved


def _main(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, standalone_mode=False, prog_name="segmentkit")
    except SegmentkitError as error:
        if _state["debug"]:
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
        if _state["debug"]:
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
