"""``segmentkit rfm``: a transaction log into one row per customer (RFM features)."""

from __future__ import annotations

from pathlib import Path

import click

from segmentkit.cli.options import (
    DELIMITER_HELP,
    PATH_TYPE,
    SHEET_HELP,
    column_options,
    transaction_overrides,
)
from segmentkit.cli.session import setup_logging, state

__all__ = ["rfm"]


@click.command()
@click.argument("input_path", metavar="TRANSACTIONS", type=PATH_TYPE)
@click.option(
    "--out",
    "-o",
    type=PATH_TYPE,
    default=Path("customers.csv"),
    show_default=True,
    help="Customer table to write (atomically).",
)
@click.option("--config", "-c", "config_path", type=PATH_TYPE, help="JSON configuration file.")
@column_options()
@click.option("--snapshot-date", help="YYYY-MM-DD (default: the day after the last purchase).")
@click.option(
    "--frequency-unit",
    type=click.Choice(["order", "day"]),
    help="Count purchases per order (default) or per day.",
)
@click.option("--encoding", help="Text encoding of a CSV (default: detected).")
@click.option("--delimiter", help=DELIMITER_HELP)
@click.option("--sheet", metavar="NAME", help=SHEET_HELP)
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
    from segmentkit.config import load_config
    from segmentkit.text import plural

    state["debug"] = debug
    setup_logging(0, quiet, debug)
    config = load_config(config_path).with_overrides(
        {
            **transaction_overrides(columns),
            "transactions.snapshot_date": snapshot_date,
            "transactions.frequency_unit": frequency_unit,
            "input.encoding": encoding,
            "input.delimiter": delimiter,
            "input.sheet": sheet,
        },
        source="command line",
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
