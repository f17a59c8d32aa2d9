"""The ``segmentkit`` command line: parse, call one library function, write.

Problems a user can cause end as one line per problem on stderr, a summary line last,
exit code 2 for usage/config errors and 1 for data errors, and no traceback unless
``--debug``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from segmentkit import __version__
from segmentkit.config import Config, config_schema, load_config
from segmentkit.errors import ConfigError, SegmentkitError

if TYPE_CHECKING:
    from segmentkit.describe.terminal_view import ProfileView

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
_DELIMITER_HELP = (
    'Field delimiter of a CSV/text file: ",", ";", "|", "\\t" (or tab) or whitespace '
    "(default: detected)."
)
_SHEET_HELP = (
    "Excel sheet: its name or 0-based position (default: the first, or the only sheet with data)."
)
#: The transaction-log column flags of `rfm` and `run --transactions`: the
#: ``transactions.<key>`` they set, and their help.
_COLUMN_FLAGS = {
    "customer_column": ("--customer-column", "customer id column (default: inferred)."),
    "date_column": ("--date-column", "date/time column (default: inferred)."),
    "amount_column": ("--amount-column", "line amount column (default: inferred)."),
    "quantity_column": ("--quantity-column", "quantity column, with --price-column."),
    "price_column": ("--price-column", "unit price column, with --quantity-column."),
    "order_column": ("--order-column", "order/invoice id column (default: inferred)."),
    "category_column": ("--category-column", "product category column (default: inferred)."),
}


def _column_options(prefix: str = "") -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the transaction-log column flags (``_COLUMN_FLAGS``) to a command."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for key, (flag, text) in reversed(_COLUMN_FLAGS.items()):
            help_text = prefix + text if prefix else text[0].upper() + text[1:]
            command = click.option(flag, key, metavar="NAME", help=help_text)(command)
        return command

    return decorate


def _transaction_overrides(columns: dict[str, str | None]) -> dict[str, str | None]:
    """Return the ``transactions.*`` config overrides of the column flags given."""
    return {f"transactions.{key}": value for key, value in columns.items()}


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
@click.option(
    "--outcomes",
    help='Campaign results to profile per segment, never to segment on: "col1,col2" '
    '(default: detected by name; "" for none).',
)
@click.option(
    "--value-columns",
    help="Money columns summed into each customer's value (share of value, top customers): "
    '"col1,col2" (default: named like spend, Mnt..., amount, revenue, sales; "" for none).',
)
@click.option("--methods", help='Methods to run, e.g. "kmeans".')
@click.option("--k", type=int, help="Fix the number of segments.")
@click.option("--k-min", type=int, help="Smallest number of segments tried (default 2).")
@click.option(
    "--k-max",
    type=int,
    help="Largest number of segments tried (default: 10, widened while the best is "
    "the largest; with --k-max never more).",
)
@click.option("--seed", type=int, help="Random seed (default 0).")
@click.option("--encoding", help="Text encoding of a CSV (default: detected).")
@click.option("--delimiter", help=_DELIMITER_HELP)
@click.option("--sheet", metavar="NAME", help=_SHEET_HELP)
@click.option("--n-jobs", type=int, help="Threads for the whole run (default: one per core).")
@click.option(
    "--transactions",
    is_flag=True,
    help="INPUT is a transaction log: build RFM features per customer first.",
)
@_column_options("With --transactions, the log's ")
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
@click.option(
    "--no-figures",
    is_flag=True,
    help="Skip the PNGs and report.html for a quicker run; everything else is written "
    "(render the report later with `segmentkit report OUT`).",
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
    outcomes: str | None,
    value_columns: str | None,
    methods: str | None,
    k: int | None,
    k_min: int | None,
    k_max: int | None,
    seed: int | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    n_jobs: int | None,
    transactions: bool,
    previous: Path | None,
    backend: str,
    scheduler: str | None,
    no_figures: bool,
    verbose: int,
    quiet: bool,
    debug: bool,
    **columns: str | None,
) -> None:
    """Segment the customers in INPUT (CSV, TSV, Parquet or Excel) into --out.

    With --backend dask, INPUT may also be a folder or a glob such as "exports/*.csv".
    With --transactions, INPUT is a transaction log; the column flags name its columns.
    """
    _state["debug"] = debug
    given = [_COLUMN_FLAGS[key][0] for key, value in columns.items() if value is not None]
    if given and not transactions:
        raise ConfigError(f"{given[0]} needs --transactions", hint="add --transactions")
    if backend == "local" and scheduler is not None:
        raise ConfigError("--scheduler needs --backend dask", hint="add --backend dask")
    if backend == "dask" and (transactions or previous is not None):
        flag = "--transactions" if transactions else "--previous"
        raise ConfigError(f"{flag} is not available with --backend dask")
    if backend == "dask" and (delimiter is not None or sheet is not None):
        # The Dask reader takes comma- or tab-separated CSV (by suffix) and Parquet.
        flag = "--delimiter" if delimiter is not None else "--sheet"
        raise ConfigError(f"{flag} is not available with --backend dask")
    _check_k_flags(k, k_min, k_max)
    buffer = _setup_logging(verbose, quiet, debug)
    # Validate everything about the configuration before touching the data.
    loaded = load_config(config_path)
    _check_k_range(k_min, k_max, loaded)
    config = loaded.with_overrides(
        {
            "input.id_column": id_column,
            "input.features": _split(features),
            "input.exclude": _split(exclude),
            "input.outcomes": _split(outcomes),
            "profiles.value_columns": _split(value_columns),
            "input.encoding": encoding,
            "input.delimiter": delimiter,
            "input.sheet": sheet,
            "clustering.methods": _split(methods),
            "clustering.k": k,
            "clustering.k_min": k_min,
            "clustering.k_max": k_max,
            # On the command line --k-max is a cap: the search never widens past it.
            "clustering.k_limit": k_max if k_max is not None and k_max >= 2 else None,
            "seed": seed,
            "n_jobs": n_jobs,
            **_transaction_overrides(columns),
        }
    )
    figures = not no_figures
    if backend == "dask":
        _segment_with_dask_and_report(input_path, config, out, buffer, scheduler, figures)
        return
    _segment_and_report(
        input_path,
        config,
        out,
        buffer,
        previous=previous,
        transactions=transactions,
        figures=figures,
    )


def _check_k_flags(k: int | None, k_min: int | None, k_max: int | None) -> None:
    """Refuse a fixed --k outside the --k-min/--k-max range given with it.

    --k fixes the number of segments and the range is then not searched; the two only
    make sense together when they agree.
    """
    if k is None or (k_min is None and k_max is None):
        return
    if (k_min is not None and k < k_min) or (k_max is not None and k > k_max):
        given = " ".join(
            f"{flag} {value}"
            for flag, value in (("--k-min", k_min), ("--k-max", k_max))
            if value is not None
        )
        raise ConfigError(
            f"--k {k} is outside the range {given}",
            hint="give --k alone to fix the number of segments, or --k-min/--k-max alone "
            "to search a range",
        )


def _check_k_range(k_min: int | None, k_max: int | None, config: Config) -> None:
    """Refuse --k-min above --k-max, or above / below the config's other bound.

    Checked before the config is validated with them, so that the message names the
    flags rather than ``clustering``.
    """
    low = k_min if k_min is not None else config.clustering.k_min
    high = k_max if k_max is not None else config.clustering.k_max
    if low < 2 or high < 2 or low <= high:
        return  # below 2 the config's own validation says what is wrong
    if k_min is not None and k_max is not None:
        raise ConfigError(f"--k-min {k_min} is above --k-max {k_max}")
    if k_min is not None:
        raise ConfigError(
            f"--k-min {k_min} is above the largest number of segments tried, "
            f"clustering.k_max = {high}",
            hint=f"add --k-max {k_min} or more",
        )
    raise ConfigError(
        f"--k-max {k_max} is below the smallest number of segments tried, clustering.k_min = {low}",
        hint=f"add --k-min {k_max} or less",
    )


def _report_line(out_dir: Path, figures: bool) -> str:
    if figures:
        return f"Report: {(out_dir / 'report.html').resolve()}"
    return f"Report: skipped (--no-figures); render it with: segmentkit report {out_dir}"


def _segment_and_report(
    input_path: Path,
    config: Config,
    out: Path,
    buffer: _BufferHandler,
    *,
    previous: Path | None = None,
    transactions: bool = False,
    figures: bool = True,
) -> None:
    from segmentkit.api import segment_file
    from segmentkit.describe.terminal_view import profile_view
    from segmentkit.text import plural

    result, out_dir = segment_file(
        input_path,
        config,
        out,
        log_handler=buffer,
        previous=previous,
        transactions=transactions,
        progress_bar=bool(_state["progress_bar"]),
        figures=figures,
    )
    _print_view(profile_view(result))
    identity = result.identities.get(result.recommended)
    if identity is not None:
        click.echo(
            f"Compared with {previous}: {plural(len(identity.matched), 'segment')} kept their "
            "identity, "
            f"new: {identity.new_segments or 'none'}, vanished: {identity.vanished or 'none'} "
            "(see segment_migration.csv)"
        )
    rules = result.rules.get(result.recommended)
    if rules is not None:
        click.echo(f"Segment rules: {rules.agreement_text()} (segment_rules.csv, .sql)")
    click.echo(f"See this table again with: segmentkit profile {out_dir}")
    click.echo(_report_line(out_dir, figures))
    click.echo(f"Output folder: {out_dir.resolve()}")


def _segment_with_dask_and_report(
    input_path: Path,
    config: Config,
    out: Path,
    buffer: _BufferHandler,
    scheduler: str | None,
    figures: bool = True,
) -> None:
    from segmentkit.backends.dask.run import SEGMENTS_DIR, segment_with_dask
    from segmentkit.describe.terminal_view import profile_view

    result = segment_with_dask(
        input_path,
        config,
        out,
        scheduler=scheduler,
        log_handler=buffer,
        progress_bar=bool(_state["progress_bar"]),
        figures=figures,
    )
    _print_view(profile_view(result.run))
    sizes = result.segment_sizes[result.run.recommended]
    counts = ", ".join(f"{s}: {n:,}" for s, n in sorted(sizes.items()))
    if result.n_sample < result.n_customers:
        click.echo(f"The table describes a seeded sample of {result.n_sample:,} customers")
    click.echo(f"All {result.n_customers:,} customers by segment: {counts}")
    click.echo(f"Segments of every customer (Parquet): {(out / SEGMENTS_DIR).resolve()}")
    click.echo(f"See this table again with: segmentkit profile {out}")
    click.echo(_report_line(out, figures))
    click.echo(f"Output folder: {out.resolve()}")


def _print_view(view: ProfileView) -> None:
    from rich.console import Console

    from segmentkit.describe.terminal_view import render_profile_view

    # Off a terminal rich would assume 80 columns; a report-like width reads better in files.
    console = Console(width=None if sys.stdout.isatty() else 140, highlight=False)
    console.print(render_profile_view(view))


@cli.command()
@click.argument("out_dir", metavar="OUT_DIR", type=_PATH)
@click.option("--method", "-m", help="Method to show (default: the recommended one).")
def profile(out_dir: Path, method: str | None) -> None:
    """Show the segments of a finished run in OUT_DIR: names, sizes, figures, drivers."""
    from segmentkit.describe.terminal_view import load_profile_view

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
@click.option(
    "--no-figures",
    is_flag=True,
    help="Skip the PNGs and report.html, as for run (render it later with `segmentkit report`).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def demo(out: Path, dataset: str, no_figures: bool, quiet: bool, debug: bool) -> None:
    """Segment bundled real data (UCI, CC BY 4.0) into --out: transactions by default."""
    from segmentkit.datasets import WHOLESALE_SPEND_COLUMNS, sample_data_path

    _state["debug"] = debug
    buffer = _setup_logging(0, quiet, debug)
    if dataset == "wholesale":
        # Every product column is annual spend: their sum is the customer's value.
        config = Config().with_overrides({"profiles.value_columns": list(WHOLESALE_SPEND_COLUMNS)})
        _segment_and_report(sample_data_path(), config, out, buffer, figures=not no_figures)
        return
    path = sample_data_path("online_retail_sample.csv.gz")
    _segment_and_report(path, Config(), out, buffer, transactions=True, figures=not no_figures)


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
@_column_options()
@click.option("--snapshot-date", help="YYYY-MM-DD (default: the day after the last purchase).")
@click.option(
    "--frequency-unit",
    type=click.Choice(["order", "day"]),
    help="Count purchases per order (default) or per day.",
)
@click.option("--encoding", help="Text encoding of a CSV (default: detected).")
@click.option("--delimiter", help=_DELIMITER_HELP)
@click.option("--sheet", metavar="NAME", help=_SHEET_HELP)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def rfm(
    input_path: Path,
    out: Path,
    config_path: Path | None,
    snapshot_date: str | None,
    frequency_unit: str | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    quiet: bool,
    debug: bool,
    **columns: str | None,
) -> None:
    """Turn the transaction log TRANSACTIONS into one row per customer (RFM features)."""
    from segmentkit.api import rfm_file
    from segmentkit.text import plural

    _state["debug"] = debug
    _setup_logging(0, quiet, debug)
    config = load_config(config_path).with_overrides(
        {
            **_transaction_overrides(columns),
            "transactions.snapshot_date": snapshot_date,
            "transactions.frequency_unit": frequency_unit,
            "input.encoding": encoding,
            "input.delimiter": delimiter,
            "input.sheet": sheet,
        }
    )
    customers = rfm_file(input_path, out, config)
    counts = customers.counts
    click.echo(
        f"{plural(len(customers.table), 'customer')} from {counts['used']:,} of "
        f"{counts['read']:,} "
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
@click.option("--delimiter", help=_DELIMITER_HELP)
@click.option("--sheet", metavar="NAME", help=_SHEET_HELP)
@click.option(
    "--snapshot-date",
    help="When INPUT is a transaction log (model from run --transactions): YYYY-MM-DD "
    "recency is measured at (default: as the training run).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def score(
    model_path: Path,
    input_path: Path,
    out: Path,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    snapshot_date: str | None,
    quiet: bool,
    debug: bool,
) -> None:
    """Place the customers in INPUT in the segments of a saved MODEL (model.skops).

    INPUT is a customer table, or a transaction log when the model was trained with
    run --transactions (scored per customer through the same RFM step).
    """
    from segmentkit.api import score_file
    from segmentkit.text import plural

    _state["debug"] = debug
    _setup_logging(0, quiet, debug)
    scored, model = score_file(
        model_path,
        input_path,
        out,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        snapshot_date=snapshot_date,
    )
    counts = scored["segment_name"].value_counts(sort=False)
    click.echo(f"{plural(len(scored), 'customer')} scored with {model.recommended} (recommended):")
    for name, count in counts.items():
        click.echo(f"  {name}: {count:,}")
    agreement = ", ".join(f"{m} {share:.1%}" for m, share in model.agreement.items())
    click.echo(f"Training customers the model puts back in their own segment: {agreement}")
    click.echo(f"Scored file: {out.resolve()}")


@cli.command()
@click.argument("out_dir", metavar="OUT_DIR", type=_PATH)
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


@cli.command()
@click.argument("out_dir", metavar="OUT_DIR", type=_PATH)
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

    _state["debug"] = debug
    _setup_logging(0, quiet, debug)
    done = rename_segment(out_dir, segment, name, method=method)
    where = f"{done.method} segment {done.segment}"
    if not done.changed:
        click.echo(f"{where} is already called {done.new_name!r}; nothing changed")
        return
    click.echo(f"Renamed {where}: {done.old_name!r} -> {done.new_name!r}")
    click.echo(f"Updated in {out_dir}: {', '.join(done.files)}")


@cli.group("config")
def config_group() -> None:
    """Create, inspect and check configuration files."""


@config_group.command("init")
@click.argument("path", type=_PATH, default=Path("segmentkit.json"))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def config_init(path: Path, force: bool) -> None:
    """Write a complete default configuration file to PATH (default segmentkit.json)."""
    from segmentkit.output.atomic import output_error

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
    # The problems are on their own lines above; the summary line does not repeat them.
    click.echo(f"error: {error.summary()}", err=True)
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
