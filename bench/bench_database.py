"""Scoring from and to PostgreSQL against scoring a CSV, end to end, as a user runs it.

A model is trained on 20,000 ``make_customers`` customers; then N new customers (default
1,000,000) are scored twice in fresh processes, one after the other:

- **CSV**: ``segmentkit score model.skops customers.csv --out scored.csv``;
- **PostgreSQL**: the same rows in a table of a throw-away local server (Debian's
  ``postgresql`` package), ``segmentkit score model.skops postgresql://... --table
  customers --to-table scored --out scored.csv``: the rows fetched in chunks and the scored
  rows written back with ``COPY`` in one transaction, the CSV written too.

It prints each one's wall time and peak memory (``/usr/bin/time``), the ratio, and checks
that both scored CSVs are identical and the table has every row. Not part of the test
suite; it never asserts a time.

Usage::

    python bench/bench_database.py            # 1,000,000 customers
    python bench/bench_database.py 100000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from segmentkit.database.write import _copy_rows
from segmentkit.datasets import make_customers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from postgres_server import throwaway_postgres

BIN = Path(sys.executable).parent
PASSWORD = "bench-only"


def timed(command: list[str], folder: Path, name: str) -> tuple[float, float]:
    """Run ``command``; return (seconds, peak GiB)."""
    record = folder / f"{name}.time"
    subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", "-o", str(record), *command],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds, kib = record.read_text().split()[-2:]
    return float(seconds), int(kib) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, new = folder / "train.csv", folder / "customers.csv"
        make_customers(20_000, n_segments=5, seed=1).frame.to_csv(train, index=False)
        customers = make_customers(n, n_segments=5, seed=2).frame
        customers.to_csv(new, index=False)
        segmentkit = str(BIN / "segmentkit")
        subprocess.run(
            [segmentkit, "run", str(train), "-o", str(folder / "run"), "--no-figures", "-q"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        model = str(folder / "run" / "model.skops")
        with throwaway_postgres("bench", PASSWORD) as url:
            engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            started = time.perf_counter()
            # The user's own table, loaded as a user would (not timed against segmentkit).
            from segmentkit.sources.read import read_table

            read_table(new).frame.to_sql("customers", engine, index=False, method=_copy_rows)
            print(
                f"loaded {n:,} customers into PostgreSQL in {time.perf_counter() - started:.0f} s"
            )
            csv = timed([segmentkit, "score", model, str(new), "--out", str(folder / "a.csv")],
                        folder, "csv")  # fmt: skip
            database = timed(
                [segmentkit, "score", model, url, "--table", "customers", "--to-table", "scored",
                 "--out", str(folder / "b.csv")],
                folder, "database",
            )  # fmt: skip
            with engine.connect() as connection:
                written = connection.execute(sa.text("SELECT count(*) FROM scored")).scalar()
            engine.dispose()
        same = (folder / "a.csv").read_bytes() == (folder / "b.csv").read_bytes()
        print(f"score {n:,} customers (2 threads)")
        print(f"  from a CSV                     {csv[0]:7.1f} s  {csv[1]:5.2f} GiB")
        print(
            f"  from PostgreSQL, back to it    {database[0]:7.1f} s  {database[1]:5.2f} GiB"
            f"  x {database[0] / csv[0]:.2f} the CSV"
        )
        print(f"  scored CSVs identical: {same}; rows in the table: {written:,}")


if __name__ == "__main__":
    main()
