"""``segmentkit score``: place new customers in the segments of a saved model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from segmentkit.cli.options import (
    DELIMITER_HELP,
    PATH_TYPE,
    SHEET_HELP,
    database_options,
    refuse_lonely_if_exists,
)
from segmentkit.cli.session import setup_logging, state

if TYPE_CHECKING:
    from segmentkit.database.write import IfExists

__all__ = ["score"]


@click.command()
@click.argument("model_path", metavar="MODEL", type=PATH_TYPE)
@click.argument("input_path", metavar="[INPUT]", required=False)
@click.option(
    "--out",
    "-o",
    type=PATH_TYPE,
    default=Path("scored.csv"),
    show_default=True,
    help="Scored CSV (written atomically).",
)
@database_options("the scored rows")
@click.option("--encoding", help="Text encoding of a CSV (default: detected).")
@click.option("--delimiter", help=DELIMITER_HELP)
@click.option("--sheet", metavar="NAME", help=SHEET_HELP)
@click.option(
    "--snapshot-date",
    help="When INPUT is a transaction log (model from run --transactions): YYYY-MM-DD "
    "recency is measured at (default: as the training run).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def score(
    model_path: Path,
    input_path: str | None,
    out: Path,
    table: str | None,
    query: str | None,
    to_table: str | None,
    to_db: str | None,
    if_exists: IfExists | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    snapshot_date: str | None,
    quiet: bool,
    debug: bool,
) -> None:
    """Place the customers in INPUT in the segments of a saved MODEL (model.skops).

    INPUT is a customer table, or a transaction log when the model was trained with
    run --transactions (scored per customer through the same RFM step), or a database URL
    with --table or --query (without INPUT: SEGMENTKIT_DATABASE_URL).
    """
    from segmentkit.api import score_file
    from segmentkit.text import plural

    state["debug"] = debug
    setup_logging(0, quiet, debug)
    refuse_lonely_if_exists(if_exists, to_table)
    scored, model = score_file(
        model_path,
        input_path,
        out,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        snapshot_date=snapshot_date,
        table=table,
        query=query,
        to_table=to_table,
        to_db=to_db,
        if_exists=if_exists or "fail",
    )
    counts = scored["segment_name"].value_counts(sort=False)
    click.echo(f"{plural(len(scored), 'customer')} scored with {model.recommended} (recommended):")
    for name, count in counts.items():
        click.echo(f"  {name}: {count:,}")
    agreement = ", ".join(f"{m} {share:.1%}" for m, share in model.agreement.items())
    click.echo(f"Training customers the model puts back in their own segment: {agreement}")
    click.echo(f"Scored file: {out.resolve()}")
    if to_table is not None:
        click.echo(f"Scored rows also in table {to_table}")
