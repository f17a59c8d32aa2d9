"""``segmentkit run`` and ``segmentkit demo``: segment a customer table into an output folder.

Both check every flag and the configuration before touching the data, then call one
library function (:func:`segmentkit.api.segment_file`, or the Dask backend) and print
the profile table and where everything was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from segmentkit.cli.folder_commands import print_view
from segmentkit.cli.options import (
    COLUMN_FLAGS,
    DELIMITER_HELP,
    PATH_TYPE,
    SHEET_HELP,
    column_options,
    database_options,
    refuse_lonely_if_exists,
    split_list,
    transaction_overrides,
)
from segmentkit.cli.session import BufferHandler, setup_logging, state
from segmentkit.errors import ConfigError

if TYPE_CHECKING:
    # The configuration (pydantic) loads when a command runs, not for `--help`.
    from segmentkit.config import Config

__all__ = ["demo", "run"]


@click.command()
@click.argument("input_path", metavar="[INPUT]", required=False)
@click.option("--config", "-c", "config_path", type=PATH_TYPE, help="JSON configuration file.")
@click.option(
    "--out",
    "-o",
    type=PATH_TYPE,
    default=Path("segmentation-output"),
    show_default=True,
    help="Output folder (replaced atomically).",
)
@database_options("one row per customer (id, segments, run_id, segmented_at)")
@click.option(
    "--rules-view",
    metavar="NAME",
    help="With --to-table: also create this view, segment_rules.sql applied to the input "
    "table, which segments new customers inside the database.",
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
@click.option("--delimiter", help=DELIMITER_HELP)
@click.option("--sheet", metavar="NAME", help=SHEET_HELP)
@click.option(
    "--n-jobs",
    type=int,
    help="Cores for the whole run: its threads and worker processes (default: one per core).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "parquet"]),
    help="Form of the customers' segments: segments.csv (default) or segments.parquet "
    "(faster for millions of customers); the other tables stay CSV.",
)
@click.option(
    "--transactions",
    is_flag=True,
    help="INPUT is a transaction log: build RFM features per customer first.",
)
@column_options("With --transactions, the log's ")
@click.option(
    "--previous",
    type=PATH_TYPE,
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
@click.option(
    "--all-figures",
    is_flag=True,
    help="Draw every method's PNGs in plots/, not only the recommended method's "
    "(report.figures = all; the report is the same either way).",
)
@click.option("--verbose", "-v", count=True, help="More log detail.")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def run(
    input_path: str | None,
    config_path: Path | None,
    out: Path,
    table: str | None,
    query: str | None,
    to_table: str | None,
    to_db: str | None,
    rules_view: str | None,
    if_exists: str | None,
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
    output_format: str | None,
    transactions: bool,
    previous: Path | None,
    backend: str,
    scheduler: str | None,
    no_figures: bool,
    all_figures: bool,
    verbose: int,
    quiet: bool,
    debug: bool,
    **columns: str | None,
) -> None:
    """Segment the customers in INPUT (CSV, TSV, Parquet or Excel) into --out.

    INPUT may also be a database URL (postgresql://user@host/db, sqlite:///shop.db,
    duckdb:///shop.duckdb) with --table or --query; without INPUT the URL is read from
    SEGMENTKIT_DATABASE_URL. With --backend dask, INPUT may also be a folder or a glob such
    as "exports/*.csv". With --transactions, INPUT is a transaction log; the column flags
    name its columns.
    """
    from segmentkit.config import load_config
    from segmentkit.config.clustering import k_range_overrides

    state["debug"] = debug
    given = [COLUMN_FLAGS[key][0] for key, value in columns.items() if value is not None]
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
    if no_figures and all_figures:
        raise ConfigError("--no-figures and --all-figures contradict each other")
    buffer = setup_logging(verbose, quiet, debug)
    # Validate everything about the configuration before touching the data.
    loaded = load_config(config_path)
    _check_k_range(k_min, k_max, loaded)
    config = loaded.with_overrides(
        {
            "input.id_column": id_column,
            "input.features": split_list(features),
            "input.exclude": split_list(exclude),
            "input.outcomes": split_list(outcomes),
            "profiles.value_columns": split_list(value_columns),
            "input.encoding": encoding,
            "input.delimiter": delimiter,
            "input.sheet": sheet,
            "clustering.methods": split_list(methods),
            "clustering.k": k,
            **k_range_overrides(k_min, k_max),
            "seed": seed,
            "n_jobs": n_jobs,
            "output.format": output_format,
            "input.table": table,
            "input.query": query,
            "output.table": to_table,
            "output.if_exists": if_exists,
            "output.rules_view": rules_view,
            "report.figures": "all" if all_figures else None,
            **transaction_overrides(columns),
        },
        source="command line",
    )
    refuse_lonely_if_exists(if_exists, config.output.table)
    figures = not no_figures
    if backend == "dask":
        if input_path is None:
            raise ConfigError("--backend dask needs INPUT: a file, folder or glob")
        _segment_with_dask_and_report(Path(input_path), config, out, buffer, scheduler, figures)
        return
    _segment_and_report(
        input_path,
        config,
        out,
        buffer,
        previous=previous,
        transactions=transactions,
        figures=figures,
        to_db=to_db,
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
    input_path: str | Path | None,
    config: Config,
    out: Path,
    buffer: BufferHandler,
    *,
    previous: Path | None = None,
    transactions: bool = False,
    figures: bool = True,
    to_db: str | None = None,
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
        progress_bar=bool(state["progress_bar"]),
        figures=figures,
        to_db=to_db,
    )
    print_view(profile_view(result))
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
    buffer: BufferHandler,
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
        progress_bar=bool(state["progress_bar"]),
        figures=figures,
    )
    print_view(profile_view(result.run))
    sizes = result.segment_sizes[result.run.recommended]
    counts = ", ".join(f"{s}: {n:,}" for s, n in sorted(sizes.items()))
    if result.n_sample < result.n_customers:
        click.echo(f"The table describes a seeded sample of {result.n_sample:,} customers")
    click.echo(f"All {result.n_customers:,} customers by segment: {counts}")
    click.echo(f"Segments of every customer (Parquet): {(out / SEGMENTS_DIR).resolve()}")
    click.echo(f"See this table again with: segmentkit profile {out}")
    click.echo(_report_line(out, figures))
    click.echo(f"Output folder: {out.resolve()}")


@click.command()
@click.option(
    "--out",
    "-o",
    type=PATH_TYPE,
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
    from segmentkit.config import Config
    from segmentkit.datasets import WHOLESALE_SPEND_COLUMNS, sample_data_path

    state["debug"] = debug
    buffer = setup_logging(0, quiet, debug)
    if dataset == "wholesale":
        # Every product column is annual spend: their sum is the customer's value.
        config = Config().with_overrides({"profiles.value_columns": list(WHOLESALE_SPEND_COLUMNS)})
        _segment_and_report(sample_data_path(), config, out, buffer, figures=not no_figures)
        return
    path = sample_data_path("online_retail_sample.csv.gz")
    _segment_and_report(path, Config(), out, buffer, transactions=True, figures=not no_figures)
